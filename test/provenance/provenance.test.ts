import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/generated/prisma/enums.js';
import { ProvenanceGraph } from '../../src/core/provenance/provenanceGraph.js';
import { provenanceDocument, resolveProvenanceSubject } from '../../src/core/provenance/provenanceDocument.js';
import { ProvenanceTooLargeError, streamProvJson } from '../../src/core/provenance/provJson.js';
import { streamProvN } from '../../src/core/provenance/provN.js';
import { errorCode, graphql } from '../support/graphqlClient.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { seedProvenance, sha256, type ProvenanceFixture } from './provenanceFixture.js';
import { compareProvN, readWithPythonProv, type PythonProvView } from './pythonProv.js';

let t: TestPlatform;
let f: ProvenanceFixture;

beforeAll(async () => {
  t = await startTestPlatform({ api: true, worker: false });
  f = await seedProvenance(t.platform.database.prisma);
}, 120_000);
afterAll(async () => t?.stop());

async function provenance(id: string, role: Role = Role.VIEWER): Promise<object> {
  const response = await graphql(t.url, t.keys[role], 'query($id: ID!) { provenance(id: $id) }', { id });
  expect(response.errors).toBeUndefined();
  return response.data!.provenance;
}

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

function relations(view: PythonProvView, kind: string, formal: Record<string, string>) {
  return view.relations.filter(
    (relation) =>
      relation.kind === kind && Object.entries(formal).every(([name, value]) => relation.formal[name] === value),
  );
}

describe('provenance(id) as W3C PROV-JSON', () => {
  it('parses with python-prov and leads from a sample to its identity, Langevin run and model pack files', async () => {
    const sample = f.samples[3]!;
    const identity = f.identities.find((row) => row.id === sample.identityId)!;
    const view = await readWithPythonProv(JSON.stringify(await provenance(sample.id)));

    const sampleRef = `brn:${sample.id}`;
    const identityRef = `brn:${identity.id}`;
    const langevinRef = `brn:${f.langevin.id}`;
    expect(view.elements[sampleRef]!.attributes['prov:type']).toEqual(['brownian:Sample']);
    expect(
      relations(view, 'wasDerivedFrom', { 'prov:generatedEntity': sampleRef, 'prov:usedEntity': identityRef }),
    ).toHaveLength(1);
    expect(
      relations(view, 'wasGeneratedBy', { 'prov:entity': identityRef, 'prov:activity': langevinRef }),
    ).toHaveLength(1);
    const used = relations(view, 'used', { 'prov:activity': langevinRef }).map(
      (relation) => relation.formal['prov:entity'],
    );
    expect(f.packFiles.length).toBeGreaterThanOrEqual(3);
    for (const file of f.packFiles) {
      expect(used).toContain(`sha256:${file.sha256}`);
      expect(view.elements[`sha256:${file.sha256}`]!.attributes['brownian:sha256']).toEqual([file.sha256]);
    }
    expect(used).toContain(`brn:${f.pack.id}`);

    // The sample's parts carry the digests of their bytes, and say what was made from what.
    expect(view.elements[`part:${sample.id}.latent`]!.attributes['brownian:sha256']).toEqual([sha256(sample.latent)]);
    expect(view.elements[`part:${sample.id}.image`]!.attributes['brownian:sha256']).toEqual([sample.imageSha256]);
    expect(
      relations(view, 'wasDerivedFrom', {
        'prov:generatedEntity': `part:${sample.id}.image`,
        'prov:usedEntity': `part:${sample.id}.latent`,
      }),
    ).toHaveLength(1);
    expect(
      relations(view, 'wasGeneratedBy', {
        'prov:entity': sampleRef,
        'prov:activity': `part:${f.dispersion.id}.shard0`,
      }),
    ).toHaveLength(1);
    expect(
      relations(view, 'wasInformedBy', { 'prov:informed': `brn:${f.dispersion.id}`, 'prov:informant': langevinRef }),
    ).toHaveLength(1);

    // Activities have their times; parameters are JSON text typed brownian:json, not a nested object.
    const langevin = view.elements[langevinRef]!;
    expect(langevin.kind).toBe('ProvActivity');
    expect(langevin.formal['prov:startTime']).toBe(
      f.langevin.startedAt!.toISOString().replace('Z', '+00:00').replace('.250', '.250000'),
    );
    expect(langevin.formal['prov:endTime']).toBeDefined();
    const [parameters] = langevin.attributes['brownian:parameters']!;
    expect(parameters).toMatch(/\^\^brownian:json$/);
    expect(JSON.parse(parameters!.replace(/\^\^brownian:json$/, ''))).toEqual(f.langevin.parameters);
    expect(langevin.attributes['brownian:seed']).toEqual(['42']);

    // Agents: the API key that asked (name and role) and the worker (host, software version, provider).
    const keyAgent = view.elements[`brn:${f.operator.id}`]!;
    expect(keyAgent.kind).toBe('ProvAgent');
    expect(keyAgent.attributes['prov:label']).toEqual(['lab operator']);
    expect(keyAgent.attributes['brownian:role']).toEqual(['OPERATOR']);
    const executors = relations(view, 'wasAssociatedWith', { 'prov:activity': langevinRef })
      .map((relation) => view.elements[relation.formal['prov:agent']!]!)
      .filter((agent) => agent.attributes['prov:type']?.[0] === 'prov:SoftwareAgent');
    expect(executors).toHaveLength(1);
    expect(executors[0]!.attributes).toMatchObject({
      'brownian:host': ['gpu-host-1'],
      'brownian:softwareVersion': ['0.1.0+abc'],
      'brownian:executionProvider': ['cpu'],
    });
  });

  it('names only nodes that node(id:) resolves, and parts of them', async () => {
    const references = new Set<string>();
    for (const id of [f.samples[0]!.id, f.audit.id, f.datasetExport.id, f.dataset.id]) {
      const view = await readWithPythonProv(JSON.stringify(await provenance(id, Role.ADMIN)));
      for (const reference of Object.keys(view.elements)) references.add(reference);
    }
    const nodeIds = [...references].flatMap((reference) => {
      const match = /^(?:brn|part):([0-9a-f-]{36})/.exec(reference);
      return match ? [match[1]!] : [];
    });
    const unique = [...new Set(nodeIds)];
    expect(unique).toEqual(
      expect.arrayContaining([f.samples[0]!.id, f.langevin.id, f.pack.id, f.dataset.id, f.audit.id, f.operator.id]),
    );
    const response = await graphql(
      t.url,
      t.keys[Role.ADMIN],
      'query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }',
      {
        ids: unique,
      },
    );
    expect(response.errors).toBeUndefined();
    const typenames = response.data!.nodes.map(
      (node: { __typename: string } | null, i: number) => node?.__typename ?? unique[i],
    );
    expect(new Set(typenames)).toEqual(
      new Set([
        'Sample',
        'Identity',
        'Run',
        'ModelPack',
        'Dataset',
        'DatasetExport',
        'Gallery',
        'LeakageAudit',
        'ApiKey',
      ]),
    );
    // Everything else is content named by its digest or a worker agent.
    for (const reference of references) expect(reference).toMatch(/^(brn|part|sha256|agent):/);
  });

  it('covers identities, runs, audits, exports and datasets, each parsed by python-prov', async () => {
    const cases: Array<[string, string, string]> = [
      [f.identities[0]!.id, `brn:${f.identities[0]!.id}`, 'ProvEntity'],
      [f.dispersion.id, `brn:${f.dispersion.id}`, 'ProvActivity'],
      [f.audit.id, `brn:${f.audit.id}`, 'ProvActivity'],
      [f.datasetExport.id, `brn:${f.datasetExport.id}`, 'ProvActivity'],
      [f.dataset.id, `brn:${f.dataset.id}`, 'ProvEntity'],
    ];
    for (const [id, reference, kind] of cases) {
      const view = await readWithPythonProv(JSON.stringify(await provenance(id, Role.AUDITOR)));
      expect(view.elements[reference]?.kind, reference).toBe(kind);
    }
    const run = await readWithPythonProv(JSON.stringify(await provenance(f.dispersion.id)));
    for (const sample of f.samples) expect(run.elements[`brn:${sample.id}`]).toBeDefined();
    const dataset = await readWithPythonProv(JSON.stringify(await provenance(f.dataset.id)));
    expect(relations(dataset, 'hadMember', { 'prov:collection': `brn:${f.dataset.id}` })).toHaveLength(
      f.samples.length,
    );
    expect(
      relations(dataset, 'wasAttributedTo', {
        'prov:entity': `brn:${f.dataset.id}`,
        'prov:agent': `brn:${f.operator.id}`,
      }),
    ).toHaveLength(1);
    const exported = await readWithPythonProv(JSON.stringify(await provenance(f.datasetExport.id)));
    const archive = `sha256:${f.datasetExport.sha256}`;
    expect(
      relations(exported, 'wasGeneratedBy', { 'prov:entity': archive, 'prov:activity': `brn:${f.datasetExport.id}` }),
    ).toHaveLength(1);
    expect(
      relations(exported, 'wasDerivedFrom', {
        'prov:generatedEntity': archive,
        'prov:usedEntity': `brn:${f.dataset.id}`,
      }),
    ).toHaveLength(1);
    const audit = await readWithPythonProv(JSON.stringify(await provenance(f.audit.id, Role.AUDITOR)));
    expect(
      relations(audit, 'wasInformedBy', {
        'prov:informed': `brn:${f.audit.id}`,
        'prov:informant': `brn:${f.dispersion.id}`,
      }),
    ).toHaveLength(1);
    expect(audit.elements[`part:${f.audit.id}.report`]!.attributes['brownian:sha256']).toHaveLength(1);
    expect(run.elements[`part:${f.langevin.id}.latents`]!.attributes['brownian:sha256']).toEqual([sha256('latents')]);
  });

  it('answers NOT_FOUND for an id that names nothing, and refuses to inline a document over the limit', async () => {
    const missing = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      '{ provenance(id: "00000000-0000-4000-8000-000000000000") }',
    );
    expect(errorCode(missing)).toBe('NOT_FOUND');
    const bad = await graphql(t.url, t.keys[Role.VIEWER], '{ provenance(id: "nope") }');
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    await expect(
      provenanceDocument(
        t.platform.database.prisma,
        await resolveProvenanceSubject(t.platform.database.prisma, f.dataset.id),
        10,
      ),
    ).rejects.toBeInstanceOf(ProvenanceTooLargeError);
  });
});

describe('streamed documents', () => {
  it('streams the same PROV-JSON as the inline document, in batches, and PROV-N with the same statements', async () => {
    const prisma = t.platform.database.prisma;
    const subject = await resolveProvenanceSubject(prisma, f.dataset.id);
    const streamed = await collect(streamProvJson(new ProvenanceGraph(prisma, 3).statements(subject)));
    const inline = await provenanceDocument(prisma, subject);
    const view = await readWithPythonProv(streamed);
    const sorted = (v: PythonProvView) => ({ ...v, relations: v.relations.map((r) => JSON.stringify(r)).sort() });
    expect(sorted(view)).toEqual(sorted(await readWithPythonProv(JSON.stringify(inline))));
    expect(relations(view, 'hadMember', { 'prov:collection': `brn:${f.dataset.id}` })).toHaveLength(f.samples.length);

    const provN = await collect(streamProvN(new ProvenanceGraph(prisma, 3).statements(subject)));
    const comparison = await compareProvN(streamed, provN);
    expect(comparison.onlyOurs).toEqual([]);
    expect(comparison.onlyTheirs).toEqual([]);
    expect(comparison.ours).toBeGreaterThan(50);
    expect(comparison.ours).toBe(comparison.theirs);
  });
});
