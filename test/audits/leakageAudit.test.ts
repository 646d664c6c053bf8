import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToFloat32 } from '../../src/core/db/floats.js';
import { Role } from '../../src/generated/prisma/enums.js';
import { errorCode, graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { mulberry32 } from '../support/mulberry32.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { createGallery, finishedAudit, finishedRun, startAudit, upload } from './support.js';

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
  const response = await graphql(t.url, t.keys[Role.OPERATOR], 'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }', {
    input: { modelPackId: packId, batchSize: 8, ...input },
  });
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
  const norm = (values: Float32Array, offset: number) => Math.sqrt(Array.from({ length: dim }, (_, d) => values[offset + d]! ** 2).reduce((a, b) => a + b, 0));
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
    gallery.set(identities[1]!.embedding.map((v) => v * 2), 3000 * dim);
    // A near copy of identity 2 in a subject of three rows.
    gallery.set(identities[2]!.embedding.map((v) => v + (random() - 0.5) * 0.01), 100 * dim);
    const galleryId = await createGallery(t, gallery, dim, { labels, modelPackId: packId });

    const started = await startAudit(t, { runIds: [runId], galleryId, topK: 5, threshold: { cosine: 0.95 }, shardSize: 16 });
    expect(started.errors).toBeUndefined();
    const audit = await finishedAudit(t, started.data!.startLeakageAudit.id);
    expect(audit).toMatchObject({ status: 'SUCCEEDED', shardCount: 3, shardsDone: 3, queryCount: 40 });

    const matches = await t.platform.database.prisma.leakageMatch.findMany({ where: { auditId: audit.id }, include: { subject: true }, orderBy: { rank: 'asc' } });
    let flagged = 0;
    for (const identity of identities) {
      const expected = bruteForce(identity.embedding, gallery, labels, 5);
      const got = matches.filter((m) => m.identityId === identity.id);
      expect(got.map((m) => [m.rank, m.subject!.label, m.subject!.row])).toEqual(expected.map((e, i) => [i + 1, e.label, e.row]));
      got.forEach((m, i) => {
        expect(m.similarity).toBeCloseTo(expected[i]!.similarity, 12);
        expect(m.aboveThreshold).toBe(expected[i]!.similarity > 0.95);
      });
      if (expected[0]!.similarity > 0.95) flagged++;
    }
    expect(matches.filter((m) => m.identityId === identities[0]!.id).map((m) => m.subject!.label).slice(0, 3)).toEqual(['m16', 's2100', 's4400']);
    expect(flagged).toBeGreaterThanOrEqual(3);
    expect(audit.summary).toMatchObject({ identitiesAudited: 40, flaggedIdentities: flagged, leakageRate: flagged / 40 });
    expect(audit.summary.histogram.identityMaxSimilarity.reduce((a: number, b: number) => a + b, 0)).toBe(40);
    expect(audit.summary.histogram.galleryImpostors.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 9);
  }, 400_000);
});
