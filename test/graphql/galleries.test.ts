import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32ToBytes } from '../../src/core/db/floats.js';
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
});
