import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { Role } from '../../src/generated/prisma/enums.js';
import { errorCode, graphql } from '../support/graphqlClient.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { seedProvenance, sha256, type ProvenanceFixture } from './provenanceFixture.js';
import { compareProvN, readWithPythonProv } from './pythonProv.js';

let t: TestPlatform;
let f: ProvenanceFixture;
const identities = 12;
const variations = 16;

beforeAll(async () => {
  t = await startTestPlatform({ api: true, worker: true });
  f = await seedProvenance(t.platform.database.prisma, identities, variations);
}, 180_000);
afterAll(async () => t?.stop());

const cli = async (...args: string[]) =>
  promisify(execFile)(process.execPath, [join(packageRoot, 'bin', 'brownian.js'), 'provenance', ...args], {
    env: { ...process.env, BROWNIAN_URL: t.url, BROWNIAN_API_KEY: t.keys[Role.VIEWER] },
    maxBuffer: 1 << 28,
  });

describe('provenance files written by a worker job', () => {
  it('brownian provenance writes a dataset as PROV-JSON and PROV-N that python-prov reads as the same statements', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'brownian-provenance-'));
    const jsonPath = join(dir, 'dataset.json');
    const json = await cli(f.dataset.id, '-o', jsonPath);
    expect(json.stderr).toMatch(/provenance of dataset \S+: SUCCEEDED, \d+ statements/);
    const [, sha] = /sha256 (\w+)\)/.exec(json.stderr)!;
    const jsonText = await readFile(jsonPath, 'utf8');
    expect(sha256(jsonText)).toBe(sha);
    const view = await readWithPythonProv(jsonText);
    const samples = Object.values(view.elements).filter((e) => e.attributes['prov:type']?.[0] === 'brownian:Sample');
    expect(samples).toHaveLength(identities * variations);
    const members = view.relations.filter(
      (r) => r.kind === 'hadMember' && r.formal['prov:collection'] === `brn:${f.dataset.id}`,
    );
    expect(members).toHaveLength(identities * variations);

    const provN = (await cli(f.dataset.id, '--format', 'provn')).stdout;
    expect(provN.startsWith('document\n')).toBe(true);
    expect(provN.endsWith('endDocument\n')).toBe(true);
    const comparison = await compareProvN(jsonText, provN);
    expect(comparison.onlyOurs).toEqual([]);
    expect(comparison.onlyTheirs).toEqual([]);
    expect(comparison.ours).toBe(comparison.theirs);
    expect(comparison.ours).toBeGreaterThan(identities * variations * 10);

    const rows = await t.platform.database.prisma.provenanceExport.findMany({ where: { subjectId: f.dataset.id } });
    expect(rows.map((row) => [row.format, row.status, row.statements])).toEqual(
      expect.arrayContaining([
        ['PROV_JSON', 'SUCCEEDED', comparison.ours],
        ['PROV_N', 'SUCCEEDED', comparison.ours],
      ]),
    );
  }, 240_000);

  it('refuses an unknown subject, and keeps audits to auditors', async () => {
    const missing = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      'mutation { requestProvenanceExport(id: "00000000-0000-4000-8000-000000000000") { id } }',
    );
    expect(errorCode(missing)).toBe('NOT_FOUND');
    const audit = `mutation($id: ID!) { requestProvenanceExport(id: $id, format: PROV_N) { id subjectKind } }`;
    expect(errorCode(await graphql(t.url, t.keys[Role.VIEWER], audit, { id: f.audit.id }))).toBe('FORBIDDEN');
    const allowed = await graphql(t.url, t.keys[Role.AUDITOR], audit, { id: f.audit.id });
    expect(allowed.data!.requestProvenanceExport.subjectKind).toBe('AUDIT');
    const inline = await graphql(t.url, t.keys[Role.VIEWER], 'query($id: ID!) { provenance(id: $id) }', {
      id: f.audit.id,
    });
    expect(errorCode(inline)).toBe('FORBIDDEN');
  });
});
