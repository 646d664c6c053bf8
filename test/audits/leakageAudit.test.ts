import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToFloat32 } from '../../src/core/db/floats.js';
import { Role } from '../../src/generated/prisma/enums.js';
import { graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { mulberry32 } from '../support/mulberry32.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { createGallery, finishedAudit, finishedRun, startAudit } from './support.js';

let t: TestPlatform;
let packId: string;
let dim: number;

beforeAll(async () => {
  t = await startTestPlatform({ api: true, worker: true });
  packId = (await registerMiniPack(t.url, t.keys[Role.OPERATOR])).id;
  dim = (await t.platform.database.prisma.modelPack.findUniqueOrThrow({ where: { id: packId } })).embeddingDim;
}, 120_000);
afterAll(async () => t?.stop());

async function langevinRun(input: Record<string, unknown>): Promise<string> {
  const response = await graphql(
    t.url,
    t.keys[Role.OPERATOR],
    'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }',
    {
      input: { modelPackId: packId, batchSize: 8, ...input },
    },
  );
  expect(response.errors).toBeUndefined();
  const id = response.data!.startLangevinRun.id as string;
  expect(await finishedRun(t, id)).toBe('SUCCEEDED');
  return id;
}

async function identityEmbeddings(runId: string): Promise<Array<{ id: string; embedding: Float32Array }>> {
  const rows = await t.platform.database.prisma.identity.findMany({ where: { runId }, orderBy: { index: 'asc' } });
  return rows.map((row) => ({ id: row.id, embedding: bytesToFloat32(row.embedding) }));
}

/** The top-k subjects of one query by a plain scan in float64: a subject scores its best row, ties to the lower row. */
function bruteForce(query: Float32Array, gallery: Float32Array, labels: string[], k: number) {
  const norm = (values: Float32Array, offset: number) =>
    Math.sqrt(Array.from({ length: dim }, (_, d) => values[offset + d]! ** 2).reduce((a, b) => a + b, 0));
  const qn = norm(query, 0);
  const best = new Map<string, { similarity: number; row: number }>();
  for (let r = 0; r < labels.length; r++) {
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += query[d]! * gallery[r * dim + d]!;
    const similarity = dot / (qn * norm(gallery, r * dim));
    const current = best.get(labels[r]!);
    if (!current || similarity > current.similarity) best.set(labels[r]!, { similarity, row: r });
  }
  return [...best.entries()]
    .map(([label, value]) => ({ label, ...value }))
    .sort((a, b) => b.similarity - a.similarity || a.row - b.row)
    .slice(0, k);
}

describe('exactness', () => {
  it('equals a brute-force scan, ties and subjects of several rows included, over a gallery of several tiles and shards', async () => {
    const runId = await langevinRun({ numIdentities: 40, iterations: 1, seed: '5' });
    const identities = await identityEmbeddings(runId);
    const rows = 4500;
    const random = mulberry32(11);
    const gallery = new Float32Array(rows * dim).map(() => random() * 2 - 1);
    // Subjects m0..m99 have three rows each, the rest one.
    const labels = Array.from({ length: rows }, (_, r) => (r < 300 ? `m${Math.floor(r / 3)}` : `s${r}`));
    // Exact ties across tiles and database chunks: identity 0 itself at rows 50, 2100 and 4400;
    // identity 1 at 1500 and, scaled by 2 (the same direction, bit for bit), at 3000.
    for (const r of [50, 2100, 4400]) gallery.set(identities[0]!.embedding, r * dim);
    gallery.set(identities[1]!.embedding, 1500 * dim);
    gallery.set(
      identities[1]!.embedding.map((v) => v * 2),
      3000 * dim,
    );
    // A near copy of identity 2 in a subject of three rows.
    gallery.set(
      identities[2]!.embedding.map((v) => v + (random() - 0.5) * 0.01),
      100 * dim,
    );
    const galleryId = await createGallery(t, gallery, dim, { labels, modelPackId: packId });

    const started = await startAudit(t, {
      runIds: [runId],
      galleryId,
      topK: 5,
      threshold: { cosine: 0.95 },
      shardSize: 16,
    });
    expect(started.errors).toBeUndefined();
    const audit = await finishedAudit(t, started.data!.startLeakageAudit.id);
    expect(audit).toMatchObject({ status: 'SUCCEEDED', shardCount: 3, shardsDone: 3, queryCount: 40 });

    const matches = await t.platform.database.prisma.leakageMatch.findMany({
      where: { auditId: audit.id },
      include: { subject: true },
      orderBy: { rank: 'asc' },
    });
    let flagged = 0;
    for (const identity of identities) {
      const expected = bruteForce(identity.embedding, gallery, labels, 5);
      const got = matches.filter((m) => m.identityId === identity.id);
      expect(got.map((m) => [m.rank, m.subject!.label, m.subject!.row])).toEqual(
        expected.map((e, i) => [i + 1, e.label, e.row]),
      );
      got.forEach((m, i) => {
        expect(m.similarity).toBeCloseTo(expected[i]!.similarity, 12);
        expect(m.aboveThreshold).toBe(expected[i]!.similarity > 0.95);
      });
      if (expected[0]!.similarity > 0.95) flagged++;
    }
    expect(
      matches
        .filter((m) => m.identityId === identities[0]!.id)
        .map((m) => m.subject!.label)
        .slice(0, 3),
    ).toEqual(['m16', 's2100', 's4400']);
    expect(flagged).toBeGreaterThanOrEqual(3);
    expect(audit.summary).toMatchObject({
      identitiesAudited: 40,
      flaggedIdentities: flagged,
      leakageRate: flagged / 40,
    });
    expect(audit.summary.histogram.identityMaxSimilarity.reduce((a: number, b: number) => a + b, 0)).toBe(40);
    expect(audit.summary.histogram.galleryImpostors.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 9);
  }, 400_000);
});

describe('the audit → exclusion loop on the built-in pack', () => {
  it("flags a plain run's identities against a gallery of generator samples; the rerun excluding it flags none", async () => {
    // Stand-ins for the people the generator was trained on: faces it draws and a plain run
    // reproduces, i.e. the plain run's own identities, among other generator samples (another
    // seed, no iterations) as impostors.
    const settings = { numIdentities: 8, iterations: 30, seed: '22', repulsionCoefficient: 4, batchSize: 4 };
    const plain = await langevinRun(settings);
    const others = await langevinRun({ ...settings, seed: '23', iterations: 0 });
    const faces = [...(await identityEmbeddings(plain)), ...(await identityEmbeddings(others))];
    const values = new Float32Array(faces.length * dim);
    faces.forEach((face, i) => values.set(face.embedding, i * dim));
    const galleryId = await createGallery(t, values, dim, {
      modelPackId: packId,
      labels: faces.map((_, i) => `person ${i}`),
    });

    const threshold = { angle: 0.5 };
    const started = await startAudit(t, { runIds: [plain], galleryId, topK: 3, threshold });
    expect(started.errors).toBeUndefined();
    const first = await finishedAudit(t, started.data!.startLeakageAudit.id);
    expect(first.status).toBe('SUCCEEDED');
    expect(first.summary).toMatchObject({ identitiesAudited: 8, flaggedIdentities: 8, leakageRate: 1 });
    expect(first.thresholdAngle).toBeCloseTo(threshold.angle, 12);

    const rerun = await graphql(
      t.url,
      t.keys[Role.AUDITOR],
      'mutation($id: ID!, $c0: Float!) { rerunWithExclusion(auditId: $id, exclusionDistance: $c0) ' +
        '{ runId audit { id status threshold followsAuditId runIds } } }',
      { id: first.id, c0: 0.6 },
    );
    expect(rerun.errors).toBeUndefined();
    const { runId, audit } = rerun.data!.rerunWithExclusion;
    expect(audit).toMatchObject({ threshold: first.threshold, followsAuditId: first.id, runIds: [runId] });
    const run = await t.platform.database.prisma.run.findUniqueOrThrow({ where: { id: runId } });
    const source = await t.platform.database.prisma.run.findUniqueOrThrow({ where: { id: plain } });
    expect(run).toMatchObject({
      seed: source.seed,
      parentRunId: plain,
      exclusionGalleryId: galleryId,
      sourceAuditId: first.id,
    });
    expect(run.parameters).toMatchObject({
      ...(source.parameters as object),
      exclusionGalleryId: galleryId,
      langevin: { exclusionDistance: 0.6 },
    });

    expect(await finishedRun(t, runId)).toBe('SUCCEEDED');
    const second = await finishedAudit(t, audit.id);
    expect(second.status).toBe('SUCCEEDED');
    expect(second.summary).toMatchObject({ identitiesAudited: 8, flaggedIdentities: 0, leakageRate: 0 });
    expect(second.summary.maxSimilarity).toBeLessThan(first.threshold);

    // The flagged pairs of the first audit, page by page, with both images and the lineage of each synthetic side.
    const page = (after?: string) =>
      graphql(
        t.url,
        t.keys[Role.AUDITOR],
        `
          query ($id: ID!, $after: String) {
            leakageAudit(id: $id) {
              matches(first: 2, after: $after) {
                totalCount
                pageInfo {
                  hasNextPage
                  endCursor
                }
                edges {
                  node {
                    identityId
                    rank
                    similarity
                    aboveThreshold
                    subject {
                      label
                    }
                    syntheticImageUrl {
                      url
                    }
                    galleryImageUrl {
                      url
                    }
                    lineage {
                      run {
                        id
                      }
                    }
                  }
                }
              }
            }
          }
        `,
        { id: first.id, after },
      );
    const seen: Array<{
      similarity: number;
      aboveThreshold: boolean;
      lineage: { run: { id: string } };
      syntheticImageUrl: { url: string };
    }> = [];
    let after: string | undefined;
    for (;;) {
      const response = await page(after);
      expect(response.errors).toBeUndefined();
      const matches = response.data!.leakageAudit.matches;
      seen.push(...matches.edges.map((edge: { node: (typeof seen)[number] }) => edge.node));
      if (!matches.pageInfo.hasNextPage) break;
      after = matches.pageInfo.endCursor;
    }
    expect(seen.length).toBe(
      await t.platform.database.prisma.leakageMatch.count({ where: { auditId: first.id, aboveThreshold: true } }),
    );
    expect(seen.every((m) => m.aboveThreshold && m.lineage.run.id === plain)).toBe(true);
    expect([...seen].sort((a, b) => b.similarity - a.similarity)).toEqual(seen);

    // The same matches paged backward from the end, two at a time, come out as the same sequence.
    const backward: number[] = [];
    let before: string | undefined;
    for (;;) {
      const response = await graphql(
        t.url,
        t.keys[Role.AUDITOR],
        `
          query ($id: ID!, $before: String) {
            leakageAudit(id: $id) {
              matches(last: 2, before: $before) {
                pageInfo {
                  hasPreviousPage
                  startCursor
                }
                edges {
                  node {
                    similarity
                  }
                }
              }
            }
          }
        `,
        { id: first.id, before },
      );
      expect(response.errors).toBeUndefined();
      const matches = response.data!.leakageAudit.matches;
      backward.unshift(...matches.edges.map((edge: { node: { similarity: number } }) => edge.node.similarity));
      if (!matches.pageInfo.hasPreviousPage) break;
      before = matches.pageInfo.startCursor;
    }
    expect(backward).toEqual(seen.map((m) => m.similarity));
    const image = await fetch(seen[0]!.syntheticImageUrl.url);
    expect(image.status).toBe(200);
    expect(
      Buffer.from(await image.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
  }, 600_000);
});

describe('auditing a dataset', () => {
  it('audits the reference identities and samples of a dataset; a sample flags its identity', async () => {
    const langevin = await langevinRun({ numIdentities: 4, iterations: 1, seed: '31' });
    const dispersion = await graphql(
      t.url,
      t.keys[Role.OPERATOR],
      'mutation($input: DispersionRunInput!) { startDispersionRun(input: $input) { id } }',
      {
        input: { parentRunId: langevin, numVariations: 3, iterations: 1, seed: '32', batchSize: 8 },
      },
    );
    expect(dispersion.errors).toBeUndefined();
    const dispersionId = dispersion.data!.startDispersionRun.id;
    expect(await finishedRun(t, dispersionId)).toBe('SUCCEEDED');
    const dataset = await graphql(
      t.url,
      t.keys[Role.OPERATOR],
      'mutation($runIds: [ID!]!) { createDataset(name: "audited", runIds: $runIds) { id } }',
      {
        runIds: [langevin, dispersionId],
      },
    );
    expect(dataset.errors).toBeUndefined();
    const datasetId = dataset.data!.createDataset.id;

    // The gallery holds one sample's own embedding among random faces: that sample, and through
    // it its identity, must be the only ones flagged.
    const sample = await t.platform.database.prisma.sample.findFirstOrThrow({
      where: { runId: dispersionId },
      orderBy: [{ label: 'asc' }, { variation: 'asc' }],
    });
    const random = mulberry32(5);
    const gallery = new Float32Array(50 * dim).map(() => random() * 2 - 1);
    gallery.set(bytesToFloat32(sample.embedding), 17 * dim);
    const galleryId = await createGallery(t, gallery, dim, { modelPackId: packId });
    const started = await startAudit(t, {
      datasetId,
      galleryId,
      scope: 'BOTH',
      topK: 2,
      threshold: { cosine: 0.999 },
      shardSize: 5,
    });
    expect(started.errors).toBeUndefined();
    const audit = await finishedAudit(t, started.data!.startLeakageAudit.id);
    const members = await t.platform.database.prisma.datasetMember.count({ where: { datasetId } });
    expect(audit).toMatchObject({ status: 'SUCCEEDED', queryCount: members, shardCount: Math.ceil(members / 5) });
    expect(audit.summary).toMatchObject({
      identitiesAudited: 4,
      samplesAudited: members - 4,
      flaggedIdentities: 1,
      flaggedSamples: 1,
      leakageRate: 0.25,
    });
    const flagged = await t.platform.database.prisma.leakageMatch.findMany({
      where: { auditId: audit.id, aboveThreshold: true },
      include: { subject: true },
    });
    expect(flagged.map((m) => [m.sampleId, m.identityId, m.subject!.row, m.rank])).toEqual([
      [sample.id, sample.identityId, 17, 1],
    ]);
    const read = await graphql(
      t.url,
      t.keys[Role.AUDITOR],
      'query($id: ID!) { leakageAudit(id: $id) { datasetId runIds ' +
        'matches { edges { node { sampleId lineage { sample { id } run { id } } } } } } }',
      { id: audit.id },
    );
    expect(read.data!.leakageAudit).toMatchObject({
      datasetId,
      matches: {
        edges: [{ node: { sampleId: sample.id, lineage: { sample: { id: sample.id }, run: { id: dispersionId } } } }],
      },
    });
    expect([...read.data!.leakageAudit.runIds].sort()).toEqual([langevin, dispersionId].sort());
  }, 300_000);
});

describe('auditProgress over a real WebSocket', () => {
  it('waits for a run still generating, then streams every shard to the end', async () => {
    const started = await graphql(
      t.url,
      t.keys[Role.OPERATOR],
      'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }',
      {
        input: { modelPackId: packId, numIdentities: 12, iterations: 20, seed: '41', batchSize: 4 },
      },
    );
    const runId = started.data!.startLangevinRun.id;
    const galleryId = await createGallery(
      t,
      new Float32Array(10 * dim).map((_, i) => Math.sin(i)),
      dim,
      { modelPackId: packId },
    );
    const audit = await startAudit(t, { runIds: [runId], galleryId, threshold: { cosine: 0.9 }, shardSize: 4 });
    expect(audit.errors).toBeUndefined();
    const auditId = audit.data!.startLeakageAudit.id;
    const live = await auditProgress(auditId);
    // The subscription began while the run was still generating: the audit's current state (QUEUED,
    // unplanned) comes first, then every change, and the stream completes after the final status.
    expect(live.completed).toBe(true);
    expect(live.events.map((e) => [e.status, e.shardsDone, e.shardCount])).toEqual([
      ['QUEUED', 0, 0],
      ['RUNNING', 0, 3],
      ['RUNNING', 1, 3],
      ['RUNNING', 2, 3],
      ['SUCCEEDED', 3, 3],
    ]);
    // A subscriber that comes back after the end (a reconnect, or a late one) gets the final state and the end.
    const late = await auditProgress(auditId);
    expect(late).toEqual({ completed: true, events: [{ status: 'SUCCEEDED', shardsDone: 3, shardCount: 3 }] });
    const unknown = await auditProgress('00000000-0000-4000-8000-000000000000').catch((error: unknown) => error);
    expect(String(unknown)).toContain('NOT_FOUND');
  }, 300_000);
});

/** Every message of one auditProgress subscription, over a real WebSocket, until it completes. */
async function auditProgress(
  auditId: string,
): Promise<{ completed: boolean; events: Array<{ status: string; shardsDone: number; shardCount: number }> }> {
  const client = createClient({
    url: t.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${t.keys[Role.AUDITOR]}` },
    retryAttempts: 0,
  });
  const events: Array<{ status: string; shardsDone: number; shardCount: number }> = [];
  try {
    await new Promise<void>((resolveDone, reject) => {
      client.subscribe<{ auditProgress: (typeof events)[number] }>(
        {
          query: 'subscription($id: ID!) { auditProgress(auditId: $id) { status shardsDone shardCount } }',
          variables: { id: auditId },
        },
        {
          next: ({ data, errors }) => {
            if (errors) reject(new Error(JSON.stringify(errors)));
            else events.push(data!.auditProgress);
          },
          error: reject,
          complete: resolveDone,
        },
      );
    });
  } finally {
    await client.dispose();
  }
  return { completed: true, events };
}
