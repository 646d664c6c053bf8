import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/generated/prisma/enums.js';
import { checkpointKey, contentKey } from '../../src/core/store/keys.js';
import { ObjectIntegrityError } from '../../src/core/store/ObjectIntegrityError.js';
import { ObjectStore } from '../../src/core/store/objectStore.js';
import { databaseDigestLedger } from '../../src/core/store/digestLedger.js';
import { graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { withPackChecker } from '../support/packChecker.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { spawnWorker, waitFor, type WorkerProcess } from '../support/workerProcess.js';

let t: TestPlatform;
/** The same bucket without the platform's ledger: what anyone who reaches the S3 server can do. */
let raw: ObjectStore;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  t = await startTestPlatform({ api: true, worker: false }, { BROWNIAN_JOB_EXPIRE_SECONDS: '4' });
  raw = new ObjectStore(
    {
      endpoint: t.env.S3_ENDPOINT!,
      accessKey: t.env.S3_ACCESS_KEY!,
      secretKey: t.env.S3_SECRET_KEY!,
      region: 'us-east-1',
    },
    t.config.bucket,
  );
});
afterAll(async () => {
  for (const worker of workers) worker.child.kill('SIGKILL');
  await t?.stop();
});

async function readError(read: () => Promise<unknown>): Promise<unknown> {
  return read().then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('objects are checked against the digest recorded when they were written', () => {
  it('refuses an overwritten object, by bytes and by stream, naming it', async () => {
    const { store } = t.platform;
    const key = 'runs/00000000-0000-4000-8000-000000000001/checkpoint.bin';
    await store.putBytes(key, randomBytes(300));
    await raw.putBytes(key, randomBytes(300));
    const error = await readError(() => store.getBytes(key));
    expect(error).toBeInstanceOf(ObjectIntegrityError);
    expect((error as Error).message).toContain(key);
    const streamed = await readError(async () => {
      for await (const _chunk of await store.getStream(key)) void _chunk;
    });
    expect(streamed).toBeInstanceOf(ObjectIntegrityError);
  });

  it('refuses a content-addressed object whose bytes no longer hash to its key, and accepts untouched ones', async () => {
    const { store } = t.platform;
    const bytes = randomBytes(500);
    const blob = await store.putContent(bytes);
    expect(Buffer.compare(await store.getBytes(blob.key), bytes)).toBe(0);
    await raw.putBytes(blob.key, randomBytes(500));
    expect(await readError(() => store.getBytes(blob.key))).toBeInstanceOf(ObjectIntegrityError);
    expect(blob.key).toBe(contentKey(createHash('sha256').update(bytes).digest('hex')));
  });

  it('accepts the old or the new bytes of an overwrite cut off before the ledger confirmed it, and nothing else', async () => {
    const { store, database } = t.platform;
    const key = 'runs/00000000-0000-4000-8000-000000000002/checkpoint.bin';
    const before = randomBytes(400);
    await store.putBytes(key, before);
    // The next checkpoint: announced, written, and then the database went away before the confirmation.
    const after = randomBytes(400);
    await databaseDigestLedger(database.prisma).begin(key, createHash('sha256').update(after).digest('hex'), 400);
    expect(Buffer.compare(await store.getBytes(key), before)).toBe(0);
    await raw.putBytes(key, after);
    expect(Buffer.compare(await store.getBytes(key), after)).toBe(0);
    await raw.putBytes(key, randomBytes(400));
    expect(await readError(() => store.getBytes(key))).toBeInstanceOf(ObjectIntegrityError);
    // A confirmed write closes the window: only its own bytes pass.
    await store.putBytes(key, after);
    await raw.putBytes(key, before);
    expect(await readError(() => store.getBytes(key))).toBeInstanceOf(ObjectIntegrityError);
  });

  it('records a copy under the digest the caller checked, so a source swapped before the copy is caught', async () => {
    const { store } = t.platform;
    const checked = randomBytes(200);
    await raw.putBytes('uploads/x/file.bin', randomBytes(200));
    await store.copy('uploads/x/file.bin', 'packs/p/file.bin', createHash('sha256').update(checked).digest('hex'));
    expect(await readError(() => store.getBytes('packs/p/file.bin'))).toBeInstanceOf(ObjectIntegrityError);
  });

  it('fails a run resumed from a tampered checkpoint, naming the object, instead of finishing it', async () => {
    const packId = (await withPackChecker(t, () => registerMiniPack(t.url, t.keys[Role.OPERATOR]))).id;
    const started = await graphql(
      t.url,
      t.keys[Role.OPERATOR],
      'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }',
      {
        input: { modelPackId: packId, numIdentities: 6, iterations: 400, seed: '5', batchSize: 6, checkpointEvery: 2 },
      },
    );
    const runId: string = started.data!.startLangevinRun.id;
    const { prisma } = t.platform.database;
    const first = spawnWorker(t.env);
    workers.push(first);
    await waitFor(
      async () => (await prisma.storedObject.findUnique({ where: { key: checkpointKey(runId) } })) !== null,
      180_000,
      'a checkpoint',
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nworker output:\n${first.output()}`);
    });
    first.child.kill('SIGKILL');
    await first.exited;
    const original = await raw.getBytes(checkpointKey(runId));
    const tampered = Buffer.from(original);
    tampered[tampered.length - 1]! ^= 0x01;
    await raw.putBytes(checkpointKey(runId), tampered);

    workers.push(spawnWorker(t.env));
    const failed = await waitFor(
      async () => {
        const run = await prisma.run.findUniqueOrThrow({ where: { id: runId } });
        return run.status === 'FAILED' || run.status === 'SUCCEEDED' ? run : undefined;
      },
      240_000,
      'the resumed run to end',
    );
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toContain(checkpointKey(runId));
    expect(await prisma.identity.count({ where: { runId } })).toBe(0);
  }, 480_000);
});
