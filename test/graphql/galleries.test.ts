import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { bytesToFloat32, float32ToBytes } from '../../src/core/db/floats.js';
import { chunkRows } from '../../src/galleries/embeddingFile.js';
import { Role } from '../../src/generated/prisma/enums.js';
import { graphql } from '../support/graphqlClient.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform();
});
afterAll(async () => t?.stop());

async function upload(values: Float32Array): Promise<string> {
  const { data } = await graphql(
    t.url,
    t.keys[Role.AUDITOR],
    'mutation { createUploadUrl(fileName: "gallery.f32") { key url } }',
  );
  expect((await fetch(data!.createUploadUrl.url, { method: 'PUT', body: float32ToBytes(values) })).status).toBe(200);
  return data!.createUploadUrl.key;
}

const recognizerDigest = 'a'.repeat(64);
const create = (input: Record<string, unknown>) =>
  graphql(
    t.url,
    t.keys[Role.AUDITOR],
    'mutation($input: GalleryInput!) { createGallery(input: $input) { id subjectCount embeddingDim } }',
    {
      input: { recognizerDigest, ...input },
    },
  );

describe('createGallery', () => {
  it('refuses a file whose size is not count × embeddingDim × 4, naming both sizes, and registers nothing', async () => {
    // 10 embeddings of dimension 32 are 1280 bytes: also a whole number of 64-float rows, which must not pass as 5 of them.
    const key = await upload(new Float32Array(10 * 32).fill(0.5));
    const wrong = await create({ name: 'ten by 32', embeddingDim: 64, count: 10, embeddingsKey: key });
    expect(wrong.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.embeddingsKey',
    });
    expect(wrong.errors?.[0]?.message).toContain(
      'file has 1280 bytes; 10 embeddings of dimension 64 need 10 × 64 × 4 = 2560 bytes',
    );
    expect(await t.platform.database.prisma.gallery.count()).toBe(0);

    const right = await create({ name: 'ten by 32', embeddingDim: 32, count: 10, embeddingsKey: key });
    expect(right.data!.createGallery).toMatchObject({ subjectCount: 10, embeddingDim: 32 });
  });

  it('streams a file of several chunks into the gallery; a bad row late in it rolls back every row before it', async () => {
    const dim = 16;
    const rows = 2 * chunkRows + 5;
    const values = Float32Array.from({ length: rows * dim }, (_, i) => Math.sin(i * 0.11) + 0.05);
    values[(chunkRows + 7) * dim] = Number.POSITIVE_INFINITY;
    const before = await t.platform.database.prisma.gallerySubject.count();
    const bad = await create({
      name: 'late bad row',
      embeddingDim: dim,
      count: rows,
      embeddingsKey: await upload(values),
    });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.embeddingsKey' });
    expect(bad.errors?.[0]?.message).toContain(`row ${chunkRows + 7} holds NaN or infinite values`);
    expect(await t.platform.database.prisma.gallery.count({ where: { name: 'late bad row' } })).toBe(0);
    expect(await t.platform.database.prisma.gallerySubject.count()).toBe(before);

    values[(chunkRows + 7) * dim] = 0.25;
    const good = await create({
      name: 'streamed',
      embeddingDim: dim,
      count: rows,
      embeddingsKey: await upload(values),
    });
    expect(good.errors).toBeUndefined();
    const id = good.data!.createGallery.id as string;
    const last = await t.platform.database.prisma.gallerySubject.findFirstOrThrow({
      where: { galleryId: id, row: rows - 1 },
    });
    expect(Array.from(bytesToFloat32(last.embedding))).toEqual(Array.from(values.subarray((rows - 1) * dim)));
    const gallery = await t.platform.database.prisma.gallery.findUniqueOrThrow({ where: { id } });
    expect(gallery.digest).toBe(createHash('sha256').update(float32ToBytes(values)).digest('hex'));
  }, 120_000);
});
