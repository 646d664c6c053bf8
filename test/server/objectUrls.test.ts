import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/config.js';
import { createLogger } from '../../src/core/logging/logger.js';
import { startPlatform, type Platform } from '../../src/platform/platform.js';
import { graphql } from '../support/graphqlClient.js';

let platform: Platform;
let dataDir: string;
let apiOrigin: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'brownian-object-urls-'));
  await chmod(dataDir, 0o755);
  // Nothing configured but a data folder: the embedded default, as `npm start` runs it.
  const config = loadConfig({ BROWNIAN_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
  platform = await startPlatform(config, createLogger('warn'), { api: true, worker: false });
  apiOrigin = new URL(platform.apiUrl!).origin;
}, 180_000);
afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function uploadUrl(): Promise<{ key: string; url: string }> {
  const response = await graphql(
    platform.apiUrl!,
    platform.initialAdminKey,
    'mutation { createUploadUrl(fileName: "latents.f32") { key url } }',
  );
  expect(response.errors).toBeUndefined();
  return response.data!.createUploadUrl;
}

function put(url: string, body: Buffer): Promise<Response> {
  return fetch(url, { method: 'PUT', body, headers: { 'content-length': String(body.length) } });
}

/** The same query string on another path: what an attacker holding one URL can try. */
function withPath(url: string, path: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${path}${parsed.search}`;
}

describe('object URLs on the embedded default', () => {
  it('uploads and downloads through the API itself, never naming the S3 server', async () => {
    const { key, url } = await uploadUrl();
    expect(new URL(url).origin).toBe(apiOrigin);
    const bytes = randomBytes(70_000);
    expect((await put(url, bytes)).status).toBe(200);
    const download = await platform.store.presignedUrl('GET', key, 60);
    expect(new URL(download.url).origin).toBe(apiOrigin);
    const got = await fetch(download.url);
    expect(got.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await got.arrayBuffer()), bytes)).toBe(0);
    expect(Buffer.compare(await platform.store.getBytes(key), bytes)).toBe(0);
  });

  it('refuses a URL used for another object, another method, after expiry, forged or unsigned', async () => {
    const { key, url } = await uploadUrl();
    const body = randomBytes(100);
    const refused = async (response: Promise<Response>, reason: RegExp) => {
      const answer = await response;
      expect(answer.status).toBe(403);
      const json = (await answer.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
      expect(json.errors[0]!.extensions.code).toBe('FORBIDDEN');
      expect(json.errors[0]!.message).toMatch(reason);
    };
    const otherKey = key.replace('latents.f32', 'other.f32');
    await refused(put(withPath(url, `/objects/${encodeURIComponent(otherKey)}`), body), /signature/);
    await refused(put(withPath(url, `/objects/${encodeURIComponent(`${key}/..%2F..%2Fescape`)}`), body), /signature/);
    await refused(fetch(url), /signed for PUT/);
    const forged = new URL(url);
    forged.searchParams.set('signature', '0'.repeat(64));
    await refused(put(forged.toString(), body), /signature/);
    const later = new URL(url);
    later.searchParams.set('expires', String(Number(later.searchParams.get('expires')) + 3600));
    await refused(put(later.toString(), body), /signature/);
    const expired = await platform.store.presignedUrl('PUT', key, -5);
    await refused(put(expired.url, body), /expired/);
    await refused(fetch(`${apiOrigin}/objects/${encodeURIComponent(key)}`), /not a signed object URL/);
    expect(await platform.store.exists(key)).toBe(false);
    expect(await platform.store.exists(otherKey)).toBe(false);
  });

  it('needs a length for an upload and answers 404 for a signed URL of a missing object', async () => {
    const { url } = await uploadUrl();
    const chunked = await fetch(url, {
      method: 'PUT',
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new Uint8Array(10));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(411);
    const missing = await platform.store.presignedUrl('GET', 'uploads/none/missing.bin', 60);
    expect((await fetch(missing.url)).status).toBe(404);
  });

  it('signs URLs for the host the client reached the API at, so a dashboard opened as localhost uploads to localhost', async () => {
    const api = new URL(platform.apiUrl!);
    const body = JSON.stringify({ query: 'mutation { createUploadUrl(fileName: "a.bin") { url } }' });
    const answer = await new Promise<string>((resolveAnswer, reject) => {
      const req = request(
        {
          host: api.hostname,
          port: api.port,
          path: '/graphql',
          method: 'POST',
          headers: {
            host: `localhost:${api.port}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${platform.initialAdminKey}`,
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolveAnswer(text));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    const url = new URL(
      (JSON.parse(answer) as { data: { createUploadUrl: { url: string } } }).data.createUploadUrl.url,
    );
    expect(url.origin).toBe(`http://localhost:${api.port}`);
    // The signature covers the object, the method and the expiry, not the host: the same URL works at either name.
    expect((await put(`${api.origin}${url.pathname}${url.search}`, randomBytes(10))).status).toBe(200);
  });
});
