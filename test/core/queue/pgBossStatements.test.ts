import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueSettings } from '../../../src/core/config/config.js';
import { openDatabase, type Database } from '../../../src/core/db/client.js';
import { migrate } from '../../../src/core/db/migrate.js';
import type { JobId, RunId, ShardId, VerificationId } from '../../../src/core/ids/ids.js';
import { createLogger } from '../../../src/core/logging/logger.js';
import { JobName, JobQueue, type ClaimedJob } from '../../../src/core/queue/jobQueue.js';
import { jobStates, liveJobStates, PG_BOSS_MAJOR, pgBossSchema } from '../../../src/core/queue/pgBossStatements.js';
import { RunKind } from '../../../src/generated/prisma/enums.js';
import { seedModelPack } from '../../support/seed.js';
import { createTestDatabase } from '../../support/testPlatform.js';

/** No retries: a failed job is failed for good, as after the last retry. */
const settings: QueueSettings = {
  jobExpireSeconds: 600,
  retryLimit: 0,
  retryDelaySeconds: 1,
  maintenanceIntervalSeconds: 30,
  heartbeatSeconds: 5,
  workerConcurrency: 1,
};

/** Log records the queue writes, as pino would print them. */
const logged: Array<{ level: number; msg: string; err?: { message: string } }> = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
      logged.push(JSON.parse(line) as (typeof logged)[number]);
    done();
  },
});

let url: string;
let database: Database;
let queue: JobQueue;
let packId: string;

beforeAll(async () => {
  url = await createTestDatabase();
  database = openDatabase(url);
  await migrate(database.pool, createLogger('silent'));
  packId = (await seedModelPack(database.prisma)).id;
  queue = await JobQueue.open(url, settings, pino({ level: 'info' }, sink));
});
afterAll(async () => {
  await queue.close();
  await database.close();
});

async function newRun(): Promise<RunId> {
  const run = await database.prisma.run.create({
    data: { kind: RunKind.LANGEVIN, parameters: {}, seed: 1n, modelPackId: packId, totalIterations: 3 },
  });
  return run.id as RunId;
}

async function jobRow(id: JobId): Promise<{ state: string; started_on: Date | null; retry_count: number }> {
  const result = await database.pool.query<{ state: string; started_on: Date | null; retry_count: number }>(
    `SELECT state, started_on, retry_count FROM ${pgBossSchema}.job WHERE id = $1`,
    [id],
  );
  return result.rows[0]!;
}

async function claimed(name: JobName, id: JobId): Promise<ClaimedJob> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const job = await queue.claim(name);
    if (job?.id === id) return job;
    if (job) throw new Error(`claimed job ${job.id}, not ${id}`);
  }
  throw new Error(`job ${id} was never claimable`);
}

describe('the statements on pg-boss tables', () => {
  it('were written for the pg-boss major that is installed', () => {
    const require = createRequire(import.meta.url);
    const packageJson = join(dirname(require.resolve('pg-boss')), '..', 'package.json');
    const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
    expect(Number(version.split('.')[0])).toBe(PG_BOSS_MAJOR);
  });

  it('name the job states the live schema declares, in its order', async () => {
    const result = await database.pool.query<{ state: string }>(liveJobStates);
    expect(result.rows.map((r) => r.state)).toEqual([...jobStates]);
  });

  it('renew the lease of an active job only', async () => {
    const runId = await newRun();
    const id = await queue.enqueueRun(JobName.langevin, runId);
    const job = await claimed(JobName.langevin, id);
    await database.pool.query(`UPDATE ${pgBossSchema}.job SET started_on = now() - interval '1 hour' WHERE id = $1`, [
      id,
    ]);
    expect(await queue.renewLease(job)).toBe(true);
    const renewed = await jobRow(id);
    expect(Date.now() - renewed.started_on!.getTime()).toBeLessThan(10 * 60_000);
    await queue.complete(job);
    expect(await queue.renewLease(job)).toBe(false);
  });

  it('hand a job back without spending a retry, and it can be claimed again', async () => {
    const runId = await newRun();
    const id = await queue.enqueueRun(JobName.langevin, runId);
    const job = await claimed(JobName.langevin, id);
    await queue.release(job);
    expect(await jobRow(id)).toMatchObject({ state: 'created', started_on: null, retry_count: 0 });
    const again = await claimed(JobName.langevin, id);
    await queue.complete(again);
  });

  it("cancel a run's unfinished jobs and its shards', and no other run's", async () => {
    const [runId, otherRunId] = [await newRun(), await newRun()];
    const runJob = await queue.enqueueRun(JobName.langevin, runId);
    const shardJob = await queue.enqueueShard({ runId, shardId: crypto.randomUUID() as ShardId, shardIndex: 0 });
    const otherJob = await queue.enqueueRun(JobName.langevin, otherRunId);
    await queue.cancelRunJobs(runId);
    expect((await jobRow(runJob)).state).toBe('cancelled');
    expect((await jobRow(shardJob)).state).toBe('cancelled');
    expect((await jobRow(otherJob)).state).toBe('created');
    await queue.cancelRunJobs(otherRunId);
  });

  it('report a run whose job failed for good with its message, and not once the run is finished', async () => {
    const runId = await newRun();
    const id = await queue.enqueueRun(JobName.langevin, runId);
    await queue.fail(await claimed(JobName.langevin, id), new Error('model crashed the worker'));
    expect(await queue.abandonedRuns()).toContainEqual({ runId, shardId: null, message: 'model crashed the worker' });
    await database.prisma.run.update({ where: { id: runId }, data: { status: 'FAILED' } });
    expect((await queue.abandonedRuns()).map((r) => r.runId)).not.toContain(runId);
  });

  it('report a verification whose job failed for good on any of the verification queues', async () => {
    const verification = await database.prisma.verification.create({
      data: { subjectKind: 'RUN', subjectId: await newRun(), sampleCount: 0, segments: 1 },
    });
    const id = (await queue.enqueue(
      JobName.verifyOnCpu,
      { verificationId: verification.id as VerificationId },
      verification.id,
    ))!;
    await queue.fail(await claimed(JobName.verifyOnCpu, id), new Error('the pack is gone'));
    expect(await queue.abandonedVerifications()).toContainEqual({
      verificationId: verification.id,
      message: 'the pack is gone',
    });
  });

  it('do not report a failed job while a retry of the same work is pending', async () => {
    const runId = await newRun();
    const id = await queue.enqueueRun(JobName.langevin, runId);
    await queue.fail(await claimed(JobName.langevin, id), new Error('first attempt'));
    await queue.enqueueRun(JobName.langevin, runId);
    expect((await queue.abandonedRuns()).map((r) => r.runId)).not.toContain(runId);
    await queue.cancelRunJobs(runId);
  });
});

describe('pg-boss errors', () => {
  it('are logged, not dropped: a pooled connection the database ends is reported', async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // pg-boss names its connections; ending them is what a database restart or a failover does.
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'pgboss' AND pid <> pg_backend_pid()`,
      );
    } finally {
      await admin.end();
    }
    const deadline = Date.now() + 30_000;
    while (!logged.some((r) => r.msg === 'job queue (pg-boss) error') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const record = logged.find((r) => r.msg === 'job queue (pg-boss) error');
    expect(record?.level).toBe(50);
    expect(record?.err?.message).toMatch(/terminat/i);
    // The queue keeps working on fresh connections.
    const id = await queue.enqueueRun(JobName.langevin, await newRun());
    expect((await jobRow(id)).state).toBe('created');
  });
});
