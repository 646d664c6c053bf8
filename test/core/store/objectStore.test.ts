import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { ObjectStore } from '../../../src/core/store/objectStore.js';
import { contentKey } from '../../../src/core/store/keys.js';

function store(publicEndpoint?: string): ObjectStore {
  return new ObjectStore(
    {
      endpoint: inject('s3Endpoint'),
      accessKey: inject('s3AccessKey'),
      secretKey: inject('s3SecretKey'),
      region: 'us-east-1',
      publicEndpoint,
    },
    `store-${randomBytes(4).toString('hex')}`,
  );
}

describe('ObjectStore', () => {
  it('addresses blobs by their sha256 and stores each once', async () => {
    const s = store();
    await s.ensureBucket();
    const bytes = randomBytes(1000);
    const first = await s.putContent(bytes);
    const again = await s.putContent(bytes);
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(first).toEqual({ key: contentKey(sha), sha256: sha, size: 1000 });
    expect(again.key).toBe(first.key);
    expect(Buffer.compare(await s.getBytes(first.key), bytes)).toBe(0);
  });

  it('streams a large upload in chunks and names it by content', async () => {
    const s = store();
    await s.ensureBucket();
    const chunk = randomBytes(1 << 20);
    const chunks = 12;
    const hash = createHash('sha256');
    for (let i = 0; i < chunks; i++) hash.update(chunk);
    async function* source() {
      for (let i = 0; i < chunks; i++) yield chunk;
    }
    const blob = await s.putContentStream(Readable.from(source()));
    expect(blob.sha256).toBe(hash.digest('hex'));
    expect(blob.size).toBe(chunks << 20);
    let read = 0;
    for await (const part of await s.getStream(blob.key)) read += (part as Buffer).length;
    expect(read).toBe(chunks << 20);
    expect(await s.listKeys('sha256/')).toEqual([blob.key]);
  });

  it('hands out presigned PUT and GET URLs that plain HTTP clients can use, expiring when it says', async () => {
    const s = store();
    await s.ensureBucket();
    const before = Date.now();
    const put = await s.presignedUrl('PUT', 'uploads/x/latents.bin', 60);
    expect(put.expiresAt.getTime() - before).toBeGreaterThanOrEqual(60_000);
    expect(new URL(put.url).searchParams.get('X-Amz-Expires')).toBe('60');
    const response = await fetch(put.url, { method: 'PUT', body: new Uint8Array([1, 2, 3]) });
    expect(response.status).toBe(200);
    expect([...(await s.getBytes('uploads/x/latents.bin'))]).toEqual([1, 2, 3]);
    const get = await s.presignedUrl('GET', 'uploads/x/latents.bin', 120);
    expect([...new Uint8Array(await (await fetch(get.url)).arrayBuffer())]).toEqual([1, 2, 3]);
  });

  it('signs URLs for the public endpoint that outside clients reach, while it talks to the internal one', async () => {
    const internal = new URL(inject('s3Endpoint'));
    // The same server under another name, as a published port is to a container's service name.
    const s = store(`http://localhost:${internal.port}`);
    await s.ensureBucket();
    await s.putBytes('a/b.bin', new Uint8Array([7]));
    const { url } = await s.presignedUrl('GET', 'a/b.bin', 60);
    expect(new URL(url).host).toBe(`localhost:${internal.port}`);
    expect([...new Uint8Array(await (await fetch(url)).arrayBuffer())]).toEqual([7]);
  });
});
