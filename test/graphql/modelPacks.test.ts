import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, ApiError } from '../../src/cli/apiClient.js';
import { pushPack } from '../../src/cli/packPush.js';
import { Role } from '../../src/generated/prisma/enums.js';
import { buildMiniPack } from '../../services/worker/src/pack/builtin/index.js';
import { packageRoot } from '../../src/core/paths.js';
import { packFiles, parseManifest } from '../../src/core/packs/manifest.js';
import { graphql } from '../support/graphqlClient.js';
import { withPackChecker } from '../support/packChecker.js';
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
    const first = await withPackChecker(t, () => pushPack(client, dir));
    const again = await pushPack(client, dir);
    expect(again).toEqual(first);
    const { modelPacks } = await client.request<{
      modelPacks: { totalCount: number; edges: Array<{ node: { storagePrefix: string } }> };
    }>('{ modelPacks { totalCount edges { node { digest latentDim storagePrefix } } } }');
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

/** A built-in pack made distinct (its own digest), with `change` applied to its folder and manifest. */
async function variantPack(
  name: string,
  change: (dir: string, manifest: Record<string, any>) => Promise<void> = async () => undefined,
): Promise<string> {
  const variant = await mkdtemp(join(tmpdir(), 'brownian-pack-variant-'));
  await buildMiniPack(variant);
  const manifest = JSON.parse(await readFile(join(variant, 'manifest.json'), 'utf8'));
  manifest.name = name;
  await change(variant, manifest);
  await writeFile(join(variant, 'manifest.json'), JSON.stringify(manifest));
  return variant;
}

/** Uploads and registers a pack without waiting for its dry run, as a script calling the mutation would. */
async function registerOnly(packDir: string): Promise<{ id: string; status: string; error: string | null }> {
  const manifest = parseManifest(await readFile(join(packDir, 'manifest.json'), 'utf8'));
  const files = [];
  for (const { file } of packFiles(manifest))
    files.push({ file, key: await client.upload(join(packDir, file), 'pack-file.bin') });
  const manifestKey = await client.upload(join(packDir, 'manifest.json'), 'manifest.json');
  const { registerModelPack } = await client.request<{
    registerModelPack: { id: string; status: string; error: string | null };
  }>('mutation($input: ModelPackInput!) { registerModelPack(input: $input) { id status error } }', {
    input: { manifestKey, files },
  });
  return registerModelPack;
}

function startRun(modelPackId: string) {
  return graphql(
    t.url,
    t.keys[Role.OPERATOR],
    'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id status } }',
    {
      input: { modelPackId, numIdentities: 4, iterations: 1 },
    },
  );
}

describe('the dry run of a registered pack', () => {
  it(
    'is left to a worker: the pack is PENDING and refused to runs, then READY, streamed by modelPackStatus',
    { timeout: 180_000 },
    async () => {
      const pending = await registerOnly(await variantPack('pending then ready'));
      expect(pending).toMatchObject({ status: 'PENDING', error: null });
      const refused = await startRun(pending.id);
      expect(refused.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.modelPackId' });
      expect(refused.errors![0]!.message).toMatch(/PENDING/);

      const statuses: string[] = [];
      const settled = client.subscribe<{ modelPackStatus: { status: string } }>(
        'subscription($id: ID!) { modelPackStatus(id: $id) { status error } }',
        { id: pending.id },
        ({ modelPackStatus }) => statuses.push(modelPackStatus.status) > 0 && modelPackStatus.status !== 'PENDING',
      );
      await withPackChecker(t, () => settled);
      expect(statuses.at(-1)).toBe('READY');
      expect(statuses.slice(0, -1).every((status) => status === 'PENDING')).toBe(true);
      const started = await startRun(pending.id);
      expect(started.errors).toBeUndefined();
      expect(started.data!.startLangevinRun.status).toBe('QUEUED');
    },
  );

  it(
    'rejects a pack whose model does not load, with the field and the reason, and no run starts on it',
    { timeout: 180_000 },
    async () => {
      const broken = await variantPack('broken recognizer', async (folder, manifest) => {
        const garbage = Buffer.from('not an onnx model, but its digest is right');
        await writeFile(join(folder, manifest.recognizer.file), garbage);
        manifest.recognizer.sha256 = createHash('sha256').update(garbage).digest('hex');
      });
      const error = await withPackChecker(t, () => pushPack(client, broken)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).code).toBe('PACK_REJECTED');
      expect((error as ApiError).message).toMatch(/recognizer\.file: is not an ONNX model .*\[model-unreadable\]/);
      const { modelPacks } = await client.request<{
        modelPacks: { edges: Array<{ node: { id: string; name: string; status: string; error: string } }> };
      }>('{ modelPacks(first: 50) { edges { node { id name status error } } } }');
      const rejected = modelPacks.edges.map((edge) => edge.node).find((pack) => pack.name === 'broken recognizer')!;
      expect(rejected).toMatchObject({ status: 'REJECTED', error: expect.stringMatching(/^recognizer\.file: /) });
      const refused = await startRun(rejected.id);
      expect(refused.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.modelPackId' });
      expect(refused.errors![0]!.message).toMatch(/REJECTED/);
    },
  );

  it('needs no onnxruntime in an API-only process', { timeout: 120_000 }, async () => {
    const child = spawn(process.execPath, [join(packageRoot, 'bin', 'brownian.js'), 'serve'], {
      env: { ...process.env, ...t.env, PORT: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      await new Promise<void>((resolveUp, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          if (/GraphQL API: http/.test(output)) resolveUp();
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => reject(new Error(`brownian serve exited (${code}):\n${output}`)));
      });
      const maps = await readFile(`/proc/${child.pid}/maps`, 'utf8');
      expect(maps).toMatch(/node/);
      expect(maps).not.toMatch(/onnxruntime/);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
