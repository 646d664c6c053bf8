import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSchema, Kind, parse, specifiedRules, validate, type DocumentNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/config.js';
import { packageRoot } from '../../src/core/paths.js';
import { Role, RunStatus } from '../../src/generated/prisma/enums.js';
import { apiRules } from '../../src/graphql/rules/index.js';
import { graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { waitFor } from '../support/workerProcess.js';

const schema = buildSchema(readFileSync(join(packageRoot, 'schema', 'schema.graphql'), 'utf8'));
const { limits } = loadConfig({});
const rules = [...specifiedRules, ...apiRules(limits)];
const problems = (source: string) => validate(schema, parse(source), rules).map((error) => error.message);

const examplesDir = join(packageRoot, 'docs', 'queries');
const examples = readdirSync(examplesDir).filter((file) => file.endsWith('.graphql'));
const example = (file: string) => readFileSync(join(examplesDir, file), 'utf8');

describe('example documents in docs/queries', () => {
  it('are there for the questions the README lists', () => {
    expect(examples.sort()).toEqual([
      'audit-flagged-identities.graphql',
      'runs-last-week.graphql',
      'sample-lineage.graphql',
    ]);
  });

  it.each(examples)('%s is valid against the schema and within the depth and cost limits', (file) => {
    expect(problems(example(file))).toEqual([]);
  });
});

describe("the dashboard's documents (web/src/api/documents.ts)", () => {
  it('are all valid against the schema and within the limits', async () => {
    // Imported by path at run time: the web sources are type-checked by their own tsconfig, not this one.
    const documents = (await import(
      pathToFileURL(join(packageRoot, 'web', 'src', 'api', 'documents.ts')).href
    )) as Record<string, unknown>;
    const sources = Object.entries(documents).flatMap(([name, value]): [string, string][] => {
      if (typeof value === 'function')
        return [[name, (value as (withStatus: boolean) => DocumentNode)(false).loc!.source.body]];
      const document = value as DocumentNode | undefined;
      return document?.kind === Kind.DOCUMENT ? [[name, document.loc!.source.body]] : [];
    });
    expect(sources.length).toBeGreaterThan(10);
    for (const [name, source] of sources) expect(problems(source), name).toEqual([]);
  });
});

describe('the examples against a live API', () => {
  let t: TestPlatform;
  let langevinRun: string;
  let sampleId: string;
  let auditId: string;

  beforeAll(async () => {
    t = await startTestPlatform({ api: true, worker: true });
    const operator = t.keys[Role.OPERATOR];
    const pack = await registerMiniPack(t.url, operator);
    const succeeded = (id: string) => async () =>
      (await t.platform.database.prisma.run.findUniqueOrThrow({ where: { id } })).status === RunStatus.SUCCEEDED;
    const langevin = await graphql(
      t.url,
      operator,
      'mutation($i: LangevinRunInput!) { startLangevinRun(input: $i) { id } }',
      {
        i: { modelPackId: pack.id, numIdentities: 4, iterations: 2, seed: '9', batchSize: 4 },
      },
    );
    langevinRun = langevin.data!.startLangevinRun.id;
    await waitFor(succeeded(langevinRun), 120_000, 'the Langevin run');
    const dispersion = await graphql(
      t.url,
      operator,
      'mutation($i: DispersionRunInput!) { startDispersionRun(input: $i) { id } }',
      {
        i: { parentRunId: langevinRun, numVariations: 2, iterations: 2, seed: '9' },
      },
    );
    expect(dispersion.errors).toBeUndefined();
    const dispersionRun = dispersion.data!.startDispersionRun.id as string;
    await waitFor(succeeded(dispersionRun), 120_000, 'the Dispersion run');
    sampleId = (await t.platform.database.prisma.sample.findFirstOrThrow({ where: { runId: dispersionRun } })).id;

    // A gallery of the run's own embeddings, so the audit flags every identity.
    const auditor = t.keys[Role.AUDITOR];
    const identities = await t.platform.database.prisma.identity.findMany({
      where: { runId: langevinRun },
      orderBy: { index: 'asc' },
    });
    const embeddings = Buffer.concat(identities.map((identity) => Buffer.from(identity.embedding)));
    const upload = await graphql(t.url, auditor, 'mutation { createUploadUrl(fileName: "g.f32") { key url } }');
    await fetch(upload.data!.createUploadUrl.url, { method: 'PUT', body: embeddings });
    const gallery = await graphql(t.url, auditor, 'mutation($i: GalleryInput!) { createGallery(input: $i) { id } }', {
      i: {
        name: 'own',
        embeddingsKey: upload.data!.createUploadUrl.key,
        count: 4,
        embeddingDim: embeddings.length / 16,
        modelPackId: pack.id,
      },
    });
    const galleryId = gallery.data!.createGallery.id as string;
    await waitFor(
      async () =>
        (await t.platform.database.prisma.gallery.findUniqueOrThrow({ where: { id: galleryId } })).status === 'READY',
      120_000,
      'the gallery',
    );
    const audit = await graphql(
      t.url,
      auditor,
      'mutation($i: LeakageAuditInput!) { startLeakageAudit(input: $i) { id } }',
      {
        i: { galleryId, runIds: [langevinRun], threshold: { cosine: 0.99 } },
      },
    );
    auditId = audit.data!.startLeakageAudit.id;
    await waitFor(
      async () =>
        (await t.platform.database.prisma.leakageAudit.findUniqueOrThrow({ where: { id: auditId } })).status ===
        'SUCCEEDED',
      120_000,
      'the audit',
    );
  }, 400_000);
  afterAll(async () => t?.stop());

  it('runs-last-week: the runs created since then, with their summaries', async () => {
    const since = new Date(Date.now() - 7 * 24 * 3600 * 1000).toISOString();
    const { data, errors } = await graphql(t.url, t.keys[Role.VIEWER], example('runs-last-week.graphql'), { since });
    expect(errors).toBeUndefined();
    expect(data!.runs.totalCount).toBe(2);
    expect(data!.runs.edges.map((e: { node: { kind: string } }) => e.node.kind)).toEqual(['DISPERSION', 'LANGEVIN']);
    expect(data!.runs.edges[1].node.summary).not.toBeNull();
    const future = await graphql(t.url, t.keys[Role.VIEWER], example('runs-last-week.graphql'), {
      since: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(future.data!.runs.totalCount).toBe(0);
  });

  it('sample-lineage: the sample, its identity, the Dispersion run, the Langevin run above it and the pack', async () => {
    const { data, errors } = await graphql(t.url, t.keys[Role.VIEWER], example('sample-lineage.graphql'), {
      id: sampleId,
    });
    expect(errors).toBeUndefined();
    expect(data!.lineage.sample.id).toBe(sampleId);
    expect(data!.lineage.run.kind).toBe('DISPERSION');
    expect(data!.lineage.ancestors.map((r: { id: string }) => r.id)).toEqual([langevinRun]);
    // The identity page lists the same sample among the identity's variations.
    const variations = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      'query($id: ID!) { identity(id: $id) { samples { id variation } } }',
      {
        id: data!.lineage.identity.id,
      },
    );
    expect(variations.data!.identity.samples.map((s: { id: string }) => s.id)).toContain(sampleId);
    expect(variations.data!.identity.samples).toHaveLength(2);
  });

  it('audit-flagged-identities: every identity of the run, each matching its own gallery row', async () => {
    const { data, errors } = await graphql(t.url, t.keys[Role.AUDITOR], example('audit-flagged-identities.graphql'), {
      auditId,
    });
    expect(errors).toBeUndefined();
    const audit = data!.leakageAudit;
    expect(audit.summary.flaggedIdentities).toBe(4);
    expect(audit.matches.totalCount).toBe(4);
    for (const { node } of audit.matches.edges) {
      expect(node.similarity).toBeGreaterThan(0.99);
      expect(node.lineage.run.id).toBe(langevinRun);
    }
  });
});
