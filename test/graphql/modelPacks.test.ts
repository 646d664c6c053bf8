import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, ApiError } from '../../src/cli/apiClient.js';
import { pushPack } from '../../src/cli/packPush.js';
import { Role } from '../../src/generated/prisma/enums.js';
import { buildMiniPack } from '../../services/worker/src/pack/builtin/index.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

let t: TestPlatform;
let client: ApiClient;
let dir: string;

beforeAll(async () => {
  t = await startTestPlatform();
  client = new ApiClient(t.url, t.keys[Role.OPERATOR]);
  dir = await mkdtemp(join(tmpdir(), 'brownian-pack-'));
  await buildMiniPack(dir);
});
afterAll(async () => {
  await client?.close();
  await t?.stop();
});

describe('registerModelPack', () => {
  it('registers a pack under its digest once, however often it is pushed', async () => {
    const first = await pushPack(client, dir);
    const again = await pushPack(client, dir);
    expect(again).toEqual(first);
    const { modelPacks } = await client.request<{ modelPacks: { totalCount: number; edges: Array<{ node: { storagePrefix: string } }> } }>(
      '{ modelPacks { totalCount edges { node { digest latentDim storagePrefix } } } }',
    );
    expect(modelPacks.totalCount).toBe(1);
    expect(modelPacks.edges[0]!.node.storagePrefix).toBe(`packs/${first.digest}/`);
    expect(await t.platform.store.exists(`packs/${first.digest}/manifest.json`)).toBe(true);
  });

  it('refuses a pack whose file does not match its digest, naming the field, and registers nothing', async () => {
    const broken = await mkdtemp(join(tmpdir(), 'brownian-pack-broken-'));
    await buildMiniPack(broken);
    const manifest = JSON.parse(await readFile(join(broken, 'manifest.json'), 'utf8'));
    await writeFile(join(broken, manifest.recognizer.file), Buffer.from('not an onnx file'));
    const before = await t.platform.database.prisma.modelPack.count();
    const error = await pushPack(client, broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('BAD_USER_INPUT');
    expect((error as ApiError).message).toMatch(/recognizer\.sha256: does not match/);
    expect(await t.platform.database.prisma.modelPack.count()).toBe(before);
  });

  it('refuses a viewer', async () => {
    const viewer = new ApiClient(t.url, t.keys[Role.VIEWER]);
    const error = await pushPack(viewer, dir).catch((e: unknown) => e);
    await viewer.close();
    expect((error as ApiError).code).toBe('FORBIDDEN');
  });
});
