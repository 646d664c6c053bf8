import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ort from 'onnxruntime-node';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToFloat32 } from '../../src/core/db/floats.js';
import { packageRoot } from '../../src/core/paths.js';
import { contentKey, galleryPrefix } from '../../src/core/store/keys.js';
import { Role } from '../../src/generated/prisma/enums.js';
import { tarBytes } from '../../services/worker/src/exports/tarWriter.js';
import { buildMiniPack } from '../../services/worker/src/pack/builtin/index.js';
import { loadPack, type LoadedPack } from '../../services/worker/src/pack/loadPack.js';
import { encodeModel } from '../../services/worker/src/onnx/model.js';
import { ApiClient } from '../../src/cli/apiClient.js';
import { pushPack } from '../../src/cli/packPush.js';
import { graphql } from '../support/graphqlClient.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { waitFor } from '../support/workerProcess.js';
import { finishedAudit, finishedRun, startAudit, upload } from '../audits/support.js';

let t: TestPlatform;
let packId: string;
let pack: LoadedPack;

beforeAll(async () => {
  t = await startTestPlatform({ api: true, worker: true });
  const dir = await mkdtemp(join(tmpdir(), 'brownian-mini-'));
  await buildMiniPack(dir);
  const client = new ApiClient(t.url, t.keys[Role.OPERATOR]);
  try {
    packId = (await pushPack(client, dir)).id;
  } finally {
    await client.close();
  }
  pack = await loadPack(dir);
}, 240_000);
afterAll(async () => t?.stop());

const prisma = () => t.platform.database.prisma;
/** The run generatedFaces drew its faces from, last. */
let generatedBy = '';

/** PNG faces drawn by the built-in pack's generator: the identities of a short Langevin run. */
async function generatedFaces(count: number, seed: string) {
  const started = await graphql(
    t.url,
    t.keys[Role.OPERATOR],
    'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }',
    { input: { modelPackId: packId, numIdentities: count, iterations: 2, seed, batchSize: 8 } },
  );
  expect(started.errors).toBeUndefined();
  const runId = started.data!.startLangevinRun.id as string;
  expect(await finishedRun(t, runId)).toBe('SUCCEEDED');
  const identities = await prisma().identity.findMany({ where: { runId }, orderBy: { index: 'asc' } });
  generatedBy = runId;
  return Promise.all(
    identities.map(async (identity) => ({
      png: await t.platform.store.getBytes(contentKey(identity.imageSha256)),
      embedding: bytesToFloat32(identity.embedding),
    })),
  );
}

/**
 * The recognizer run directly on the pack's files: the test decodes each PNG itself, maps 0..255
 * to the generator's pixel range, and runs the alignment graph and then recognizer.onnx in two
 * sessions of its own, not the worker's composed one.
 */
async function recognizerDirect(pngs: Buffer[]): Promise<Float32Array[]> {
  const { channels, height, width, pixelRange } = pack.manifest.generator;
  const [low, high] = pixelRange;
  const alignment = await ort.InferenceSession.create(encodeModel(pack.alignment));
  const recognizer = await ort.InferenceSession.create(encodeModel(pack.recognizer));
  const out: Float32Array[] = [];
  for (const bytes of pngs) {
    const image = PNG.sync.read(bytes);
    const data = new Float32Array(channels * height * width);
    for (let p = 0; p < height * width; p++)
      for (let c = 0; c < channels; c++)
        data[c * height * width + p] = low + (image.data[p * 4 + c]! / 255) * (high - low);
    const aligned = await alignment.run({ image: new ort.Tensor('float32', data, [1, channels, height, width]) });
    const embedded = await recognizer.run({ [pack.manifest.recognizer.input]: aligned.aligned! });
    out.push(embedded[pack.manifest.recognizer.output]!.data as Float32Array);
  }
  await alignment.release();
  await recognizer.release();
  return out;
}

const cosine = (a: Float32Array, b: Float32Array) => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return dot / Math.sqrt(na * nb);
};

describe('galleries from face images', () => {
  it(
    'brownian gallery push <folder> --pack: a worker embeds each face as the recognizer does, labels from folders, images kept for review',
    { timeout: 600_000 },
    async () => {
      const faces = await generatedFaces(6, '71');
      const dir = await mkdtemp(join(tmpdir(), 'brownian-faces-'));
      // Subject "alice" has two faces; the others one each. Byte order of paths is archive order.
      const layout = ['alice/a.png', 'alice/b.png', 'bob/1.png', 'carol/1.png', 'dave/1.png', 'erin/1.png'];
      for (const [i, path] of layout.entries()) {
        await mkdir(join(dir, path.split('/')[0]!), { recursive: true });
        await writeFile(join(dir, path), faces[i]!.png);
      }
      await writeFile(join(dir, '.DS_Store'), 'not an image, hidden: skipped');
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [join(packageRoot, 'bin', 'brownian.js'), 'gallery', 'push', dir, '--name', 'real faces', '--pack', packId],
        { env: { ...process.env, BROWNIAN_URL: t.url, BROWNIAN_API_KEY: t.keys[Role.AUDITOR] } },
      );
      const [, galleryId] = /gallery real faces registered: id (\S+), 6 faces embedded/.exec(stdout)!;
      const gallery = await prisma().gallery.findUniqueOrThrow({ where: { id: galleryId } });
      expect(gallery.status).toBe('READY');
      expect(gallery.recognizerDigest).toBe(pack.manifest.recognizer.sha256);
      expect(gallery.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(gallery.maxRowsPerSubject).toBe(2);
      const subjects = await prisma().gallerySubject.findMany({ where: { galleryId }, orderBy: { row: 'asc' } });
      expect(subjects.map((s) => s.label)).toEqual(['alice', 'alice', 'bob', 'carol', 'dave', 'erin']);

      const direct = await recognizerDirect(faces.map((f) => f.png));
      for (const [row, subject] of subjects.entries()) {
        const stored = bytesToFloat32(subject.embedding);
        const scale = Math.max(...direct[row]!.map(Math.abs));
        for (let d = 0; d < stored.length; d++)
          expect(Math.abs(stored[d]! - direct[row]![d]!)).toBeLessThan(1e-5 * scale);
        // The run's own embeddings came from float images, before 8-bit rounding and clipping, which
        // move the small built-in recognizer's output (cosine 0.94 to 0.99 here): still, each face is
        // nearest its own identity's embedding.
        const nearest = faces
          .map((face, i) => ({ i, similarity: cosine(stored, face.embedding) }))
          .sort((a, b) => b.similarity - a.similarity)[0]!;
        expect(nearest.i).toBe(row);
      }

      // Review: an auditor reads the rows and each face's URL, which serves the uploaded bytes; every read is logged.
      const read = await graphql(
        t.url,
        t.keys[Role.AUDITOR],
        `
          query ($id: ID!) {
            gallery(id: $id) {
              status
              subjectCount
              subjects(first: 2, after: null) {
                totalCount
                edges {
                  node {
                    row
                    label
                    imageUrl {
                      url
                    }
                  }
                }
                pageInfo {
                  hasNextPage
                  endCursor
                }
              }
            }
          }
        `,
        { id: galleryId },
      );
      expect(read.errors).toBeUndefined();
      const page = read.data!.gallery.subjects;
      expect(page.totalCount).toBe(6);
      expect(page.pageInfo.hasNextPage).toBe(true);
      expect(page.edges.map((e: { node: { label: string } }) => e.node.label)).toEqual(['alice', 'alice']);
      const served = Buffer.from(await (await fetch(page.edges[1].node.imageUrl.url)).arrayBuffer());
      expect(served.equals(faces[1]!.png)).toBe(true);
      const logged = await prisma().auditLogEntry.findMany({
        where: { operation: { in: ['presignGalleryImage', 'readGallerySubjects'] } },
      });
      expect(
        logged
          .filter((e) => e.operation === 'presignGalleryImage')
          .map((e) => e.target)
          .sort(),
      ).toEqual([subjects[0]!.id, subjects[1]!.id].sort());
      expect(logged.some((e) => e.operation === 'readGallerySubjects' && e.target === galleryId)).toBe(true);
      const viewer = await graphql(
        t.url,
        t.keys[Role.OPERATOR],
        'query($id: ID!) { gallery(id: $id) { subjects { edges { node { imageUrl { url } } } } } }',
        { id: galleryId },
      );
      expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

      // An audit of the run that drew the faces flags each identity against its own face, and the
      // flagged match shows that face to the auditor.
      const audit = await startAudit(t, { runIds: [generatedBy], galleryId, topK: 1, threshold: { cosine: 0.9 } });
      expect(audit.errors).toBeUndefined();
      expect((await finishedAudit(t, audit.data!.startLeakageAudit.id)).status).toBe('SUCCEEDED');
      const matches = await graphql(
        t.url,
        t.keys[Role.AUDITOR],
        'query($id: ID!) { leakageAudit(id: $id) { matches(first: 10) { edges { node { subject { row } galleryImageUrl { url } } } } } }',
        { id: audit.data!.startLeakageAudit.id },
      );
      expect(matches.errors).toBeUndefined();
      const flagged = matches.data!.leakageAudit.matches.edges as Array<{
        node: { subject: { row: number }; galleryImageUrl: { url: string } };
      }>;
      expect(flagged.length).toBe(6);
      for (const { node } of flagged.slice(0, 2)) {
        const face = Buffer.from(await (await fetch(node.galleryImageUrl.url)).arrayBuffer());
        expect(face.equals(faces[node.subject.row]!.png)).toBe(true);
      }

      // The uploads are gone; the faces stay under the gallery until deleteGallery removes them.
      expect(await t.platform.store.listKeys(galleryPrefix(galleryId))).toHaveLength(6);
      const deleted = await graphql(t.url, t.keys[Role.AUDITOR], 'mutation($id: ID!) { deleteGallery(id: $id) }', {
        id: galleryId,
      });
      expect(deleted.errors).toBeUndefined();
      expect(await t.platform.store.listKeys(galleryPrefix(galleryId))).toEqual([]);
    },
  );

  it(
    'labels from a labels file in archive order; a face of the wrong size fails the gallery naming it, streamed to galleryStatus',
    { timeout: 600_000 },
    async () => {
      const faces = await generatedFaces(2, '72');
      const labelled = tarBytes([
        { name: 'x.png', bytes: faces[0]!.png },
        { name: 'y.png', bytes: faces[1]!.png },
      ]);
      const labelsKey = await upload(t, Buffer.from('p1\np2\n'), 'labels.txt');
      const ok = await createFromImages(await upload(t, labelled, 'faces.tar'), labelsKey);
      expect(ok.errors).toBeUndefined();
      expect(ok.data!.createGallery).toMatchObject({ status: 'PENDING', subjectCount: 0 });
      const settled = await statusUpdates(ok.data!.createGallery.id);
      expect(settled.map((s) => s.status)).toEqual(['PENDING', 'READY'].slice(-settled.length));
      expect(settled.at(-1)).toEqual({ status: 'READY', error: null, subjectCount: 2 });
      const rows = await prisma().gallerySubject.findMany({
        where: { galleryId: ok.data!.createGallery.id },
        orderBy: { row: 'asc' },
      });
      expect(rows.map((r) => r.label)).toEqual(['p1', 'p2']);

      const small = new PNG({ width: 8, height: 8 });
      const wrong = tarBytes([
        { name: 's/good.png', bytes: faces[0]!.png },
        { name: 's/small.png', bytes: PNG.sync.write(small) },
      ]);
      const imagesKey = await upload(t, wrong, 'faces.tar');
      const bad = await createFromImages(imagesKey);
      expect(bad.errors).toBeUndefined();
      const galleryId = bad.data!.createGallery.id as string;
      const updates = await statusUpdates(galleryId);
      expect(updates.at(-1)!.status).toBe('FAILED');
      expect(updates.at(-1)!.error).toMatch(/s\/small\.png is 8×8; .* 32×32/);
      expect(await t.platform.store.listKeys(galleryPrefix(galleryId))).toEqual([]);
      await waitFor(async () => !(await t.platform.store.exists(imagesKey)), 30_000, 'the upload to be removed');

      const refused = await graphql(
        t.url,
        t.keys[Role.AUDITOR],
        'mutation($input: GalleryInput!) { createGallery(input: $input) { id } }',
        { input: { name: 'x', imagesKey, recognizerDigest: 'a'.repeat(64) } },
      );
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(JSON.stringify(refused.errors?.[0]?.extensions)).toContain('input.modelPackId');
    },
  );
});

function createFromImages(imagesKey: string, labelsKey?: string) {
  return graphql(
    t.url,
    t.keys[Role.AUDITOR],
    'mutation($input: GalleryInput!) { createGallery(input: $input) { id status subjectCount } }',
    { input: { name: 'from images', imagesKey, labelsKey, modelPackId: packId } },
  );
}

/** Every galleryStatus message over a real WebSocket, until the stream ends. */
async function statusUpdates(galleryId: string) {
  const client = new ApiClient(t.url, t.keys[Role.AUDITOR]);
  const updates: Array<{ status: string; error: string | null; subjectCount: number }> = [];
  try {
    await client.subscribe<{ galleryStatus: (typeof updates)[number] }>(
      'subscription($id: ID!) { galleryStatus(id: $id) { status error subjectCount } }',
      { id: galleryId },
      ({ galleryStatus }) => {
        updates.push(galleryStatus);
        return galleryStatus.status !== 'PENDING';
      },
    );
  } finally {
    await client.close();
  }
  return updates;
}
