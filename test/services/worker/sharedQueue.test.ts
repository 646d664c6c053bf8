import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bytesToFloat32 } from '../../../src/core/db/floats.js';
import { createLogger } from '../../../src/core/logging/logger.js';
import { JobName, JobQueue, type ClaimedJob } from '../../../src/core/queue/jobQueue.js';
import { checkpointKey, packPrefix } from '../../../src/core/store/keys.js';
import { Role, RunStatus } from '../../../src/generated/prisma/enums.js';
import { encodeCheckpoint } from '../../../services/worker/src/diffusion/checkpoint.js';
import type { JobHandler, JobHandlers } from '../../../services/worker/src/jobs/JobHandler.js';
import { jobHandlers } from '../../../services/worker/src/jobs/index.js';
import { Worker } from '../../../services/worker/src/worker.js';
import { graphql } from '../../support/graphqlClient.js';
import { registerMiniPack } from '../../support/miniPack.js';
import { withPackChecker } from '../../support/packChecker.js';
import { startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';
import { spawnWorker, waitFor, type WorkerProcess } from '../../support/workerProcess.js';

/**
 * Workers sharing one Postgres queue, as separate hosts do: each worker here opens its own
 * pg-boss connection. Jobs expire 3 s after their start unless their worker renews the lease.
 */
let t: TestPlatform;
let packId: string;
let packDigest: string;
const expireSeconds = 3;
const running: Array<{ stop(): Promise<void> }> = [];
const processes: WorkerProcess[] = [];

beforeAll(async () => {
  t = await startTestPlatform(
    { api: true, worker: false },
    { BROWNIAN_JOB_EXPIRE_SECONDS: String(expireSeconds), BROWNIAN_JOB_RETRY_LIMIT: '1' },
  );
  const pack = await withPackChecker(t, () => registerMiniPack(t.url, t.keys[Role.OPERATOR]));
  packId = pack.id;
  packDigest = pack.digest;
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
  for (const p of processes.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
});
afterAll(async () => t?.stop());

/** A worker with its own queue connection, stopped after the test. */
async function startWorker(label: string, handlers: JobHandlers, workerConcurrency = 1): Promise<Worker> {
  const queue = await JobQueue.open(
    t.env.DATABASE_URL!,
    t.config.queue,
    createLogger('warn').child({ component: label }),
  );
  const { database, store } = t.platform;
  const worker = new Worker(
    {
      config: { ...t.config, queue: { ...t.config.queue, workerConcurrency } },
      prisma: database.prisma,
      pool: database.pool,
      store,
      queue,
      log: createLogger('warn').child({ component: label }),
      worker: { host: label, executionProvider: 'cpu', codeVersion: 'test' },
    },
    queue,
    handlers,
  );
  await worker.start();
  running.push({
    async stop() {
      await worker.stop();
      await queue.close();
    },
  });
  return worker;
}

interface Claim {
  worker: string;
  jobId: string;
}

/** A handler that records who claimed what, then holds the job until `release` says so. */
function holding(label: string, claims: Claim[], release: () => Promise<void>): JobHandler<typeof JobName.packCheck> {
  return async (job: ClaimedJob) => {
    claims.push({ worker: label, jobId: job.id });
    await release();
    return 'completed';
  };
}

async function jobRow(id: string): Promise<{ state: string; retry_count: number }> {
  const { rows } = await t.platform.database.pool.query<{ state: string; retry_count: number }>(
    'SELECT state, retry_count FROM pgboss.job WHERE id = $1',
    [id],
  );
  return rows[0]!;
}

const enqueueCheck = async (key: string) =>
  (await t.platform.queue.enqueue(JobName.packCheck, { packId: randomUUID() as never }, key))!;

describe('the job lease', () => {
  it(
    'keeps a job that runs for several expiry periods with its live worker: a second worker never takes it',
    { timeout: 180_000 },
    async () => {
      const claims: Claim[] = [];
      const holdMs = 4 * expireSeconds * 1000;
      const hold = () => new Promise<void>((r) => setTimeout(r, holdMs));
      await startWorker('first', { [JobName.packCheck]: holding('first', claims, hold) });
      const jobId = await enqueueCheck('lease');
      await waitFor(async () => claims.length > 0, 60_000, 'the first worker to claim the job');
      await startWorker('second', { [JobName.packCheck]: holding('second', claims, hold) });
      await waitFor(
        async () => claims.length > 1 || (await jobRow(jobId)).state === 'completed',
        120_000,
        'the job to complete (or to be claimed again)',
      );
      expect(claims).toEqual([{ worker: 'first', jobId }]);
      expect((await jobRow(jobId)).retry_count).toBe(0);
    },
  );
});

describe('several workers and slots on one queue', () => {
  /** Each job waits until `count` jobs are in flight at once: only parallel claimers get there. */
  function meeting(count: number, claims: Claim[]) {
    return () =>
      waitFor(async () => claims.length >= count, 30_000, `${count} jobs in flight at once`).then(() => undefined);
  }

  it('two live workers take different jobs at the same time, each job once', { timeout: 180_000 }, async () => {
    const claims: Claim[] = [];
    const ids = [await enqueueCheck('pair-0'), await enqueueCheck('pair-1')];
    await startWorker('a', { [JobName.packCheck]: holding('a', claims, meeting(2, claims)) });
    await startWorker('b', { [JobName.packCheck]: holding('b', claims, meeting(2, claims)) });
    for (const id of ids)
      await waitFor(async () => (await jobRow(id)).state === 'completed', 90_000, `job ${id} to complete`);
    expect(claims.map((c) => c.worker).sort()).toEqual(['a', 'b']);
    expect(claims.map((c) => c.jobId).sort()).toEqual([...ids].sort());
    // Neither job had to expire into the other worker's hands.
    for (const id of ids) expect((await jobRow(id)).retry_count).toBe(0);
  });

  it('BROWNIAN_WORKER_CONCURRENCY=3 runs three jobs at once on one worker', { timeout: 180_000 }, async () => {
    const claims: Claim[] = [];
    const ids = [await enqueueCheck('slot-0'), await enqueueCheck('slot-1'), await enqueueCheck('slot-2')];
    await startWorker('slots', { [JobName.packCheck]: holding('slots', claims, meeting(3, claims)) }, 3);
    for (const id of ids)
      await waitFor(async () => (await jobRow(id)).state === 'completed', 90_000, `job ${id} to complete`);
    expect(claims.map((c) => c.worker)).toEqual(['slots', 'slots', 'slots']);
    expect(claims.map((c) => c.jobId).sort()).toEqual([...ids].sort());
    for (const id of ids) expect((await jobRow(id)).retry_count).toBe(0);
  });
});

const start = async (input: Record<string, unknown>) => {
  const response = await graphql(
    t.url,
    t.keys[Role.OPERATOR],
    'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id status } }',
    { input: { modelPackId: packId, numIdentities: 6, iterations: 2, seed: '5', batchSize: 4, ...input } },
  );
  expect(response.errors).toBeUndefined();
  return response.data!.startLangevinRun as { id: string; status: string };
};
const runRow = (id: string) => t.platform.database.prisma.run.findUniqueOrThrow({ where: { id } });
const ended = (id: string, limitMs = 120_000) =>
  waitFor(
    async () => {
      const row = await runRow(id);
      return [RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED].includes(row.status as never) && row;
    },
    limitMs,
    `run ${id} to end`,
  );
async function jobStatesOf(runId: string): Promise<string[]> {
  const { rows } = await t.platform.database.pool.query<{ state: string }>(
    'SELECT state FROM pgboss.job WHERE singleton_key = $1',
    [runId],
  );
  return rows.map((r) => r.state);
}

describe('runs on a shared queue', () => {
  it(
    'fails a run visibly, naming the pack, when the pack files were deleted from the object store',
    { timeout: 240_000 },
    async () => {
      const { store } = t.platform;
      const keys = await store.listKeys(packPrefix(packDigest));
      expect(keys.length).toBeGreaterThan(2);
      const saved = await Promise.all(keys.map(async (key) => [key, await store.getBytes(key)] as const));
      for (const key of keys) await store.remove(key);
      try {
        const run = await start({ seed: '31' });
        // A worker process of its own: this one already holds the pack in memory from its dry run.
        processes.push(spawnWorker(t.env));
        const row = await ended(run.id, 180_000);
        expect(row.status).toBe(RunStatus.FAILED);
        expect(row.error).toMatch(new RegExp(`^model pack ${packDigest} could not be loaded: .*manifest\\.json`));
        expect(await t.platform.database.prisma.identity.count({ where: { runId: run.id } })).toBe(0);
      } finally {
        for (const [key, bytes] of saved) await store.putBytes(key, bytes);
      }
    },
  );

  it(
    'refuses a checkpoint that does not belong to the run, and fails the run saying so',
    { timeout: 180_000 },
    async () => {
      const run = await start({ seed: '41', iterations: 4 });
      // Another run's checkpoint: same shape, another seed, as if copied from a sibling run's folder.
      const latents = new Float32Array(
        6 * (await t.platform.database.prisma.modelPack.findUniqueOrThrow({ where: { id: packId } })).latentDim,
      );
      latents.fill(0.25);
      const foreign = encodeCheckpoint({
        state: { count: 6, latentDim: latents.length / 6, latents, iteration: 2 },
        seed: 42n,
      });
      await t.platform.store.putBytes(checkpointKey(run.id), foreign);
      await startWorker('resumer', jobHandlers);
      const row = await ended(run.id);
      expect(row).toMatchObject({ status: RunStatus.FAILED, error: 'checkpoint does not belong to this run' });
      expect(await t.platform.database.prisma.identity.count({ where: { runId: run.id } })).toBe(0);
    },
  );

  it(
    'never starts a run cancelled while queued: its job is cancelled and a live worker skips it',
    { timeout: 180_000 },
    async () => {
      const queued = await start({ seed: '51' });
      expect(queued.status).toBe('QUEUED');
      const cancelled = await graphql(
        t.url,
        t.keys[Role.OPERATOR],
        'mutation($id: ID!) { cancelRun(id: $id) { status cancelRequested finishedAt } }',
        { id: queued.id },
      );
      expect(cancelled.data!.cancelRun).toMatchObject({ status: 'CANCELLED', cancelRequested: true });
      expect(cancelled.data!.cancelRun.finishedAt).not.toBeNull();
      expect(await jobStatesOf(queued.id)).toEqual(['cancelled']);

      // A live worker, shown live by the run queued after the cancelled one, which it finishes.
      await startWorker('live', jobHandlers);
      const later = await start({ seed: '52' });
      expect((await ended(later.id)).status).toBe(RunStatus.SUCCEEDED);
      const row = await runRow(queued.id);
      expect(row).toMatchObject({ status: RunStatus.CANCELLED, iteration: 0, startedAt: null, workerHost: null });
      expect(await t.platform.database.prisma.runIteration.count({ where: { runId: queued.id } })).toBe(0);
      expect(await jobStatesOf(queued.id)).toEqual(['cancelled']);
    },
  );

  it(
    'runs two startLangevinRun sent at once side by side on one worker with two slots, each as it would run alone',
    { timeout: 240_000 },
    async () => {
      const [a, b] = await Promise.all([start({ seed: '61', iterations: 10 }), start({ seed: '62', iterations: 10 })]);
      expect(a!.id).not.toBe(b!.id);
      expect([a!.status, b!.status]).toEqual(['QUEUED', 'QUEUED']);
      expect(await jobStatesOf(a!.id)).toEqual(['created']);
      expect(await jobStatesOf(b!.id)).toEqual(['created']);
      const audit = await t.platform.database.prisma.auditLogEntry.findMany({
        where: { target: { in: [a!.id, b!.id] }, operation: 'startLangevinRun' },
      });
      expect(audit).toHaveLength(2);

      await startWorker('two-slots', jobHandlers, 2);
      const [rowA, rowB] = [await ended(a!.id), await ended(b!.id)];
      expect([rowA.status, rowB.status]).toEqual([RunStatus.SUCCEEDED, RunStatus.SUCCEEDED]);
      // Both were running at once: each started before the other finished.
      expect(rowA.startedAt!.getTime()).toBeLessThan(rowB.finishedAt!.getTime());
      expect(rowB.startedAt!.getTime()).toBeLessThan(rowA.finishedAt!.getTime());

      // The same seed alone on the worker gives the same latents: the slots share no state.
      const alone = await start({ seed: '61', iterations: 10 });
      expect((await ended(alone.id)).status).toBe(RunStatus.SUCCEEDED);
      const latents = async (runId: string) =>
        (await t.platform.database.prisma.identity.findMany({ where: { runId }, orderBy: { index: 'asc' } })).map((i) =>
          Array.from(bytesToFloat32(i.latent)),
        );
      const together = await latents(a!.id);
      expect(together).toHaveLength(6);
      expect(await latents(alone.id)).toEqual(together);
    },
  );
});
