import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToFloat32 } from '../../src/core/db/floats.js';
import { Role } from '../../src/generated/prisma/enums.js';
import { errorCode, graphql, type GraphQLResponse } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { mulberry32 } from '../support/mulberry32.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { createGallery, finishedAudit, finishedRun, startAudit, upload } from './support.js';

let t: TestPlatform;
let packId: string;
let recognizerDigest: string;
let dim: number;
let runId: string;
const keyIds = {} as Record<Role, string>;

beforeAll(async () => {
  t = await startTestPlatform({ api: true, worker: true });
  packId = (await registerMiniPack(t.url, t.keys[Role.OPERATOR])).id;
  const pack = await t.platform.database.prisma.modelPack.findUniqueOrThrow({ where: { id: packId } });
  dim = pack.embeddingDim;
  recognizerDigest = (pack.manifest as { recognizer: { sha256: string } }).recognizer.sha256;
  for (const role of Object.values(Role))
    keyIds[role] = (await t.platform.database.prisma.apiKey.findFirstOrThrow({ where: { name: `test ${role}` } })).id;
  const started = await graphql(
    t.url,
    t.keys[Role.OPERATOR],
    'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }',
    {
      input: { modelPackId: packId, numIdentities: 4, iterations: 1, seed: '7', batchSize: 4 },
    },
  );
  runId = started.data!.startLangevinRun.id;
  expect(await finishedRun(t, runId)).toBe('SUCCEEDED');
}, 180_000);
afterAll(async () => t?.stop());

function randomRows(rows: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return new Float32Array(rows * dim).map(() => random() * 2 - 1);
}

const newGallery = (rows = 16, seed = 1) =>
  createGallery(t, randomRows(rows, seed), dim, { modelPackId: packId }, t.keys[Role.ADMIN]);

async function finishedAuditOf(galleryId: string): Promise<string> {
  const started = await startAudit(
    t,
    { runIds: [runId], galleryId, topK: 2, threshold: { cosine: 0.5 } },
    t.keys[Role.ADMIN],
  );
  expect(started.errors).toBeUndefined();
  const audit = await finishedAudit(t, started.data!.startLeakageAudit.id);
  expect(audit.status).toBe('SUCCEEDED');
  return audit.id;
}

const roleOf = (key: string) => Object.values(Role).find((role) => t.keys[role] === key)!;

interface Operation {
  name: string;
  /** Audit-log operations a successful call leaves. */
  logs: string[];
  allowed: Role[];
  call(key: string): Promise<GraphQLResponse>;
}

describe('the role × operation matrix of galleries and audits', () => {
  it('lets AUDITOR and ADMIN do everything and log it, and refuses VIEWER and OPERATOR with FORBIDDEN and no log row', async () => {
    const galleryId = await newGallery();
    const auditId = await finishedAuditOf(galleryId);
    const auditors = [Role.AUDITOR, Role.ADMIN];
    const doomed = {} as Record<Role, string>;
    for (const role of Object.values(Role)) doomed[role] = await newGallery(4, 5);
    const operations: Operation[] = [
      {
        name: 'galleries',
        logs: ['readGalleries'],
        allowed: auditors,
        call: (key) => graphql(t.url, key, '{ galleries { edges { node { id } } } }'),
      },
      {
        name: 'gallery',
        logs: ['readGallery'],
        allowed: auditors,
        call: (key) => graphql(t.url, key, 'query($id: ID!) { gallery(id: $id) { id } }', { id: galleryId }),
      },
      {
        name: 'gallery subjects',
        logs: ['readGallery', 'readGallerySubjects'],
        allowed: auditors,
        call: (key) =>
          graphql(
            t.url,
            key,
            'query($id: ID!) { gallery(id: $id) { subjects { edges { node { label imageUrl { url } } } } } }',
            {
              id: galleryId,
            },
          ),
      },
      {
        name: 'createGallery',
        logs: ['createGallery'],
        allowed: auditors,
        call: async (key) => {
          const embeddingsKey = await upload(t, new Uint8Array(randomRows(4, 3).buffer), 'g.f32');
          return graphql(t.url, key, 'mutation($input: GalleryInput!) { createGallery(input: $input) { id } }', {
            input: { name: 'matrix', embeddingDim: dim, count: 4, embeddingsKey, modelPackId: packId },
          });
        },
      },
      {
        name: 'deleteGallery',
        logs: ['deleteGallery'],
        allowed: auditors,
        call: (key) =>
          graphql(t.url, key, 'mutation($id: ID!) { deleteGallery(id: $id) }', { id: doomed[roleOf(key)] }),
      },
      {
        name: 'startLeakageAudit',
        logs: ['startLeakageAudit'],
        allowed: auditors,
        call: (key) =>
          graphql(t.url, key, 'mutation($input: LeakageAuditInput!) { startLeakageAudit(input: $input) { id } }', {
            input: { runIds: [runId], galleryId, threshold: { targetFalseMatchRate: 0.05 } },
          }),
      },
      {
        name: 'leakageAudit',
        logs: ['readLeakageAudit'],
        allowed: auditors,
        call: (key) => graphql(t.url, key, 'query($id: ID!) { leakageAudit(id: $id) { id } }', { id: auditId }),
      },
      {
        name: 'leakageAudits',
        logs: ['readLeakageAudits'],
        allowed: auditors,
        call: (key) => graphql(t.url, key, '{ leakageAudits(first: 5) { totalCount edges { node { id } } } }'),
      },
      {
        name: 'leakageAudit.matches',
        logs: ['readLeakageAudit', 'readLeakageMatches'],
        allowed: auditors,
        call: (key) =>
          graphql(
            t.url,
            key,
            'query($id: ID!) { leakageAudit(id: $id) { matches(aboveThresholdOnly: false) { totalCount edges { node { ' +
              'subject { label } } } } } }',
            { id: auditId },
          ),
      },
      {
        name: 'leakageAudit.topPairs',
        logs: ['readLeakageAudit', 'readLeakageMatches'],
        allowed: auditors,
        call: (key) =>
          graphql(t.url, key, 'query($id: ID!) { leakageAudit(id: $id) { topPairs(first: 3) { similarity rank } } }', {
            id: auditId,
          }),
      },
      {
        name: 'rerunWithExclusion',
        logs: ['rerunWithExclusion', 'startLeakageAudit'],
        allowed: auditors,
        call: (key) =>
          graphql(
            t.url,
            key,
            'mutation($id: ID!) { rerunWithExclusion(auditId: $id, exclusionDistance: 0.3) { runId } }',
            { id: auditId },
          ),
      },
      {
        name: 'startLangevinRun with an exclusion gallery',
        logs: ['startLangevinRun'],
        allowed: [Role.ADMIN],
        call: (key) =>
          graphql(t.url, key, 'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }', {
            input: {
              modelPackId: packId,
              numIdentities: 2,
              iterations: 1,
              seed: '3',
              exclusionGalleryId: galleryId,
              exclusionDistance: 0.3,
            },
          }),
      },
    ];
    const outcomes: string[] = [];
    for (const operation of operations) {
      for (const role of Object.values(Role)) {
        const since = new Date();
        const response = await operation.call(t.keys[role]);
        // Entries of the use cases; every mutation request also leaves one with its outcome (test/graphql/auditLog.test.ts).
        const logged = (
          await t.platform.database.prisma.auditLogEntry.findMany({
            where: { apiKeyId: keyIds[role], createdAt: { gte: since }, operation: { not: 'createUploadUrl' } },
          })
        ).filter(
          (entry) => !(typeof entry.details === 'object' && entry.details !== null && 'outcome' in entry.details),
        );
        const allowed = operation.allowed.includes(role);
        const outcome = response.errors ? errorCode(response) : 'OK';
        outcomes.push(
          `${operation.name} as ${role}: ${outcome}, logged ` +
            `${[...new Set(logged.map((entry) => entry.operation))].sort().join(',') || 'nothing'}`,
        );
        expect(outcome, `${operation.name} as ${role}: ${response.errors?.[0]?.message}`).toBe(
          allowed ? 'OK' : 'FORBIDDEN',
        );
      }
    }
    const expected = operations.flatMap((operation) =>
      Object.values(Role).map((role) =>
        operation.allowed.includes(role)
          ? `${operation.name} as ${role}: OK, logged ${[...operation.logs].sort().join(',')}`
          : `${operation.name} as ${role}: FORBIDDEN, logged nothing`,
      ),
    );
    expect(outcomes).toEqual(expected);
  }, 300_000);
});

describe('deleteGallery', () => {
  it('removes every row and object of the gallery; the audit keeps its summary and the synthetic side of its matches', async () => {
    const embeddingsKey = await upload(t, new Uint8Array(randomRows(12, 9).buffer), 'doomed.f32');
    const labelsKey = await upload(
      t,
      new TextEncoder().encode(Array.from({ length: 12 }, (_, i) => `p${i % 6}`).join('\n')),
      'labels.txt',
    );
    const created = await graphql(
      t.url,
      t.keys[Role.AUDITOR],
      'mutation($input: GalleryInput!) { createGallery(input: $input) { id subjectCount } }',
      {
        input: { name: 'doomed', embeddingDim: dim, count: 12, embeddingsKey, labelsKey, modelPackId: packId },
      },
    );
    expect(created.errors).toBeUndefined();
    const galleryId = created.data!.createGallery.id;
    const auditId = await finishedAuditOf(galleryId);
    const before = await t.platform.database.prisma.leakageAudit.findUniqueOrThrow({ where: { id: auditId } });
    const matchCount = await t.platform.database.prisma.leakageMatch.count({ where: { auditId } });
    expect(matchCount).toBe(4 * 2);

    const deleted = await graphql(t.url, t.keys[Role.AUDITOR], 'mutation($id: ID!) { deleteGallery(id: $id) }', {
      id: galleryId,
    });
    expect(deleted.data!.deleteGallery).toBe(true);

    const keys = await t.platform.store.listKeys('');
    expect(keys.filter((key) => key.includes(galleryId) || key === embeddingsKey || key === labelsKey)).toEqual([]);
    const prisma = t.platform.database.prisma;
    expect(await prisma.gallery.count({ where: { id: galleryId } })).toBe(0);
    expect(await prisma.gallerySubject.count({ where: { galleryId } })).toBe(0);
    const after = await prisma.leakageAudit.findUniqueOrThrow({ where: { id: auditId } });
    expect(after).toMatchObject({ galleryId: null, summary: before.summary, galleryDigest: before.galleryDigest });
    const matches = await prisma.leakageMatch.findMany({ where: { auditId } });
    expect(matches).toHaveLength(matchCount);
    expect(matches.every((match) => match.subjectId === null)).toBe(true);
    const read = await graphql(
      t.url,
      t.keys[Role.AUDITOR],
      'query($id: ID!) { leakageAudit(id: $id) { galleryId summary { identitiesAudited } topPairs { similarity subject { label } } } }',
      { id: auditId },
    );
    expect(read.data!.leakageAudit).toMatchObject({ galleryId: null, summary: { identitiesAudited: 4 } });
    expect(read.data!.leakageAudit.topPairs.every((pair: { subject: unknown }) => pair.subject === null)).toBe(true);
    expect(
      errorCode(
        await graphql(t.url, t.keys[Role.AUDITOR], 'mutation($id: ID!) { deleteGallery(id: $id) }', { id: galleryId }),
      ),
    ).toBe('NOT_FOUND');
  }, 300_000);
});

describe('startLeakageAudit input', () => {
  it('refuses a gallery of another recognizer naming both digests, and a threshold given twice or not at all', async () => {
    const other = await createGallery(t, randomRows(8, 4), dim, { recognizerDigest: 'b'.repeat(64) });
    const refused = await startAudit(t, { runIds: [runId], galleryId: other, threshold: { cosine: 0.5 } });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.galleryId' });
    expect(refused.errors?.[0]?.message).toContain(
      `recognizer ${'b'.repeat(64)}, run ${runId} uses recognizer ${recognizerDigest}`,
    );
    const galleryId = await newGallery(8, 6);
    for (const threshold of [{}, { cosine: 0.5, angle: 1 }]) {
      const response = await startAudit(t, { runIds: [runId], galleryId, threshold });
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.threshold' });
    }
    for (const [input, field] of [
      [{ topK: 0 }, 'input.topK'],
      [{ runIds: [] }, 'input.runIds'],
      [{ runIds: ['nope'] }, 'input.runIds[0]'],
      [{ threshold: { cosine: 2 } }, 'input.threshold.cosine'],
      [{ threshold: { targetFalseMatchRate: 1.5 } }, 'input.threshold.targetFalseMatchRate'],
    ] as const) {
      const response = await startAudit(t, { runIds: [runId], galleryId, threshold: { cosine: 0.5 }, ...input });
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(
      await t.platform.database.prisma.leakageAudit.count({ where: { galleryId: { in: [other, galleryId] } } }),
    ).toBe(0);
  });

  it("calibrates a target false-match rate on the gallery's impostor pairs, storing the threshold and its rate", async () => {
    const rows = 40;
    const values = randomRows(rows, 8);
    const galleryId = await createGallery(t, values, dim, {
      modelPackId: packId,
      labels: Array.from({ length: rows }, (_, i) => `s${Math.floor(i / 2)}`),
    });
    const started = await startAudit(t, { runIds: [runId], galleryId, threshold: { targetFalseMatchRate: 0.1 } });
    expect(started.errors).toBeUndefined();
    // Independently: every pair of rows with different labels, similarities rounded as stored.
    const cosine = (a: number, b: number) => {
      let ab = 0;
      let aa = 0;
      let bb = 0;
      for (let d = 0; d < dim; d++) {
        ab += values[a * dim + d]! * values[b * dim + d]!;
        aa += values[a * dim + d]! ** 2;
        bb += values[b * dim + d]! ** 2;
      }
      return ab / Math.sqrt(aa * bb);
    };
    const impostors: number[] = [];
    for (let a = 0; a < rows; a++)
      for (let b = a + 1; b < rows; b++)
        if (Math.floor(a / 2) !== Math.floor(b / 2)) impostors.push(Math.fround(cosine(a, b)));
    impostors.sort((x, y) => y - x);
    const expectedThreshold = impostors[Math.floor(0.1 * impostors.length)]!;
    const audit = started.data!.startLeakageAudit;
    expect(audit.threshold).toBeCloseTo(expectedThreshold, 6);
    expect(audit.targetFalseMatchRate).toBe(0.1);
    expect(audit.falseMatchRate).toBeCloseTo(
      impostors.filter((s) => s > audit.threshold).length / impostors.length,
      12,
    );
    expect(audit.falseMatchRate).toBeLessThanOrEqual(0.1);
    expect((await finishedAudit(t, audit.id)).status).toBe('SUCCEEDED');
  });
});

describe('createGallery', () => {
  it('reads a NumPy .npy file of float64 with a labels file, and refuses a file whose header does not match', async () => {
    const rows = 6;
    const values = Array.from({ length: rows * dim }, (_, i) => Math.sin(i + 1));
    const npy = (shape: string, data: number[]) => {
      let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shape}, }`;
      header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
      const bytes = Buffer.alloc(10 + header.length + data.length * 8);
      Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(bytes);
      bytes.writeUInt16LE(header.length, 8);
      bytes.write(header, 10, 'latin1');
      data.forEach((v, i) => bytes.writeDoubleLE(v, 10 + header.length + i * 8));
      return new Uint8Array(bytes);
    };
    const embeddingsKey = await upload(t, npy(`(${rows}, ${dim})`, values), 'gallery.npy');
    const labelsKey = await upload(
      t,
      new TextEncoder().encode(['ann', 'ann', 'bob', 'cy', 'dee', 'eve'].join('\r\n') + '\r\n'),
      'labels.txt',
    );
    const created = await graphql(
      t.url,
      t.keys[Role.AUDITOR],
      'mutation($input: GalleryInput!) { createGallery(input: $input) { id subjectCount embeddingDim recognizerDigest } }',
      {
        input: { name: 'npy', embeddingsKey, labelsKey, modelPackId: packId },
      },
    );
    expect(created.errors).toBeUndefined();
    expect(created.data!.createGallery).toMatchObject({ subjectCount: rows, embeddingDim: dim, recognizerDigest });
    const subjects = await t.platform.database.prisma.gallerySubject.findMany({
      where: { galleryId: created.data!.createGallery.id },
      orderBy: { row: 'asc' },
    });
    expect(subjects.map((s) => s.label)).toEqual(['ann', 'ann', 'bob', 'cy', 'dee', 'eve']);
    expect(Array.from(bytesToFloat32(subjects[2]!.embedding))).toEqual(
      values.slice(2 * dim, 3 * dim).map((v) => Math.fround(v)),
    );
    const gallery = await t.platform.database.prisma.gallery.findUniqueOrThrow({
      where: { id: created.data!.createGallery.id },
    });
    expect(gallery.maxRowsPerSubject).toBe(2);

    const truncated = await upload(t, npy(`(${rows + 1}, ${dim})`, values), 'bad.npy');
    const refused = await graphql(
      t.url,
      t.keys[Role.AUDITOR],
      'mutation($input: GalleryInput!) { createGallery(input: $input) { id } }',
      {
        input: { name: 'bad', embeddingsKey: truncated, modelPackId: packId },
      },
    );
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.embeddingsKey' });
    expect(refused.errors?.[0]?.message).toContain(`.npy data has ${rows * dim * 8} bytes, not ${rows + 1}×${dim}×8`);
    const noRecognizer = await graphql(
      t.url,
      t.keys[Role.AUDITOR],
      'mutation($input: GalleryInput!) { createGallery(input: $input) { id } }',
      {
        input: { name: 'who made it', embeddingsKey: truncated },
      },
    );
    expect(noRecognizer.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.modelPackId' });
  });
});
