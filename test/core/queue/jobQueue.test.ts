import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueSettings } from '../../../src/core/config/config.js';
import { openDatabase, type Database } from '../../../src/core/db/client.js';
import { migrate } from '../../../src/core/db/migrate.js';
import type {
  AuditId,
  DatasetExportId,
  GalleryId,
  JobId,
  ModelPackId,
  ProvenanceExportId,
  RunId,
  ShardId,
  VerificationId,
} from '../../../src/core/ids/ids.js';
import { createLogger } from '../../../src/core/logging/logger.js';
import {
  JobName,
  jobNames,
  JobQueue,
  verifyQueueFor,
  type ClaimedJob,
  type JobPayloads,
} from '../../../src/core/queue/jobQueue.js';
import {
  AuditScope,
  ExportFormat,
  GalleryStatus,
  PackStatus,
  ProvenanceFormat,
  ProvenanceSubjectKind,
  RunStatus,
  ThresholdSource,
} from '../../../src/generated/prisma/enums.js';
import { seedModelPack, seedRun } from '../../support/seed.js';
import { createTestDatabase } from '../../support/testPlatform.js';

/** The queue on its own, against real pg-boss tables: no worker, jobs claimed by the test. */
let database: Database;
let queue: JobQueue;
const settings: QueueSettings = {
  heartbeatSeconds: 1,
  jobExpireSeconds: 600,
  retryLimit: 0,
  retryDelaySeconds: 0,
  maintenanceIntervalSeconds: 3600,
  workerConcurrency: 1,
};

/** Why the queue did not open, if it did not: reported by a test, since a failing hook fails none (and Stryker counts none). */
let openFailure: unknown;

beforeAll(async () => {
  const url = await createTestDatabase();
  database = openDatabase(url);
  await migrate(database.pool, createLogger('silent'));
  queue = await JobQueue.open(url, settings, createLogger('silent')).catch((error: unknown) => {
    openFailure = error;
    return undefined as unknown as JobQueue;
  });
});
afterAll(async () => {
  await queue?.close();
  await database?.close();
});

interface JobRow {
  name: string;
  state: string;
  retry_count: number;
  retry_limit: number;
  started_on: Date | null;
  singleton_key: string;
  output: { message?: string } | null;
}
async function row(id: string): Promise<JobRow> {
  const { rows } = await database.pool.query<JobRow>(
    'SELECT name, state, retry_count, retry_limit, started_on, singleton_key, output FROM pgboss.job WHERE id = $1',
    [id],
  );
  return rows[0]!;
}
const newRunId = () => randomUUID() as RunId;

/** Claims until the job with `id` comes up (jobs of earlier tests are claimed and completed on the way). */
async function claimJob<N extends JobName>(name: N, id: string): Promise<ClaimedJob<N>> {
  for (;;) {
    const job = await queue.claim(name);
    if (!job) throw new Error(`job ${id} was not claimable on ${name}`);
    if (job.id === id) return job;
    await queue.complete(job);
  }
}

describe('JobQueue', () => {
  const queues = async () =>
    (
      await database.pool.query<{ name: string; policy: string; expire_seconds: number; retry_limit: number }>(
        'SELECT name, policy, expire_seconds, retry_limit FROM pgboss.queue ORDER BY name',
      )
    ).rows;

  it('opens on the database it is given', () => {
    expect(openFailure).toBeUndefined();
  });

  it('creates one queue per job name with the configured expiry and retry limit', async () => {
    const rows = await queues();
    expect(rows.map((r) => r.name)).toEqual([...jobNames].sort());
    for (const r of rows) expect(r).toMatchObject({ policy: 'short', expire_seconds: 600, retry_limit: 0 });
    expect(Object.keys(await queue.depth()).sort()).toEqual([...jobNames].sort());
  });

  it('applies the settings of a later start to queues that exist already', async () => {
    const url = new URL(database.pool.options.connectionString!).toString();
    await database.pool.query(`UPDATE pgboss.queue SET policy = 'standard'`);
    const restarted = await JobQueue.open(
      url,
      { ...settings, jobExpireSeconds: 700, retryLimit: 2 },
      createLogger('silent'),
    );
    await restarted.close();
    for (const r of await queues()) expect(r).toMatchObject({ policy: 'short', expire_seconds: 700, retry_limit: 2 });
    const back = await JobQueue.open(url, settings, createLogger('silent'));
    await back.close();
    for (const r of await queues()) expect(r).toMatchObject({ expire_seconds: 600, retry_limit: 0 });
  });

  it('queues one job per run, refuses a second while it is queued, and hands it out once', async () => {
    const runId = newRunId();
    const id = await queue.enqueueRun(JobName.langevin, runId);
    expect(await row(id)).toMatchObject({ name: JobName.langevin, state: 'created', singleton_key: runId });
    await expect(queue.enqueueRun(JobName.langevin, runId)).rejects.toThrow(`run ${runId} already has a queued job`);
    expect((await queue.depth())[JobName.langevin]).toBe(1);
    const job = await claimJob(JobName.langevin, id);
    expect(job).toEqual({ id, name: JobName.langevin, data: { runId }, retryCount: 0 });
    expect(await queue.claim(JobName.langevin)).toBeUndefined();
    await queue.complete(job);
    expect((await row(id)).state).toBe('completed');
    expect((await queue.depth())[JobName.langevin]).toBe(0);
  });

  it('makes a second enqueue of the same work a no-op, and delays work asked to start later', async () => {
    const key = `pack-${randomUUID()}`;
    const data = { packId: randomUUID() as ModelPackId };
    const first = await queue.enqueue(JobName.packCheck, data, key);
    expect(first).toEqual(expect.any(String));
    expect(await queue.enqueue(JobName.packCheck, data, key)).toBeUndefined();
    const later = await queue.enqueue(
      JobName.galleryImages,
      {
        galleryId: randomUUID() as GalleryId,
        modelPackId: randomUUID() as ModelPackId,
        imagesKey: 'uploads/x/images.tar',
        labelsKey: null,
      },
      'later',
      3600,
    );
    const { rows } = await database.pool.query<{ delay: number }>(
      'SELECT extract(epoch FROM start_after - created_on)::int AS delay FROM pgboss.job WHERE id = $1',
      [later],
    );
    expect(rows[0]!.delay).toBeGreaterThanOrEqual(3590);
    expect(await queue.claim(JobName.galleryImages)).toBeUndefined();
    await claimJob(JobName.packCheck, first!).then((job) => queue.complete(job));
  });

  it('queues one job per shard, keyed by run and shard index', async () => {
    const runId = newRunId();
    const shard = (index: number) => ({ runId, shardId: randomUUID() as ShardId, shardIndex: index });
    const id = await queue.enqueueShard(shard(0));
    expect((await row(id)).singleton_key).toBe(`${runId}:0`);
    await expect(queue.enqueueShard(shard(0))).rejects.toThrow(`shard 0 of run ${runId} already has a queued job`);
    expect((await row(await queue.enqueueShard(shard(1)))).singleton_key).toBe(`${runId}:1`);
  });

  it('cancels every unfinished job of a run, its shards included, and no other run', async () => {
    const runId = newRunId();
    const other = newRunId();
    const runJob = await queue.enqueueRun(JobName.langevin, runId);
    const shardJob = await queue.enqueueShard({ runId, shardId: randomUUID() as ShardId, shardIndex: 0 });
    const otherJob = await queue.enqueueRun(JobName.dispersion, other);
    await queue.cancelRunJobs(runId);
    expect((await row(runJob)).state).toBe('cancelled');
    expect((await row(shardJob)).state).toBe('cancelled');
    expect((await row(otherJob)).state).toBe('created');
    await queue.cancel(JobName.dispersion, otherJob);
    expect((await row(otherJob)).state).toBe('cancelled');
  });

  it('renews the lease of an active job only, and hands a job back without spending a retry', async () => {
    const id = await queue.enqueueRun(JobName.langevin, newRunId());
    const job = await claimJob(JobName.langevin, id);
    await database.pool.query(`UPDATE pgboss.job SET started_on = now() - interval '1 hour' WHERE id = $1`, [id]);
    expect(await queue.renewLease(job)).toBe(true);
    const renewed = (await row(id)).started_on!;
    expect(Date.now() - renewed.getTime()).toBeLessThan(60_000);
    expect(await queue.renewLease({ ...job, name: JobName.dispersion })).toBe(false);

    await queue.release(job);
    expect(await row(id)).toMatchObject({ state: 'created', started_on: null, retry_count: 0 });
    expect(await queue.renewLease(job)).toBe(false);
    const again = await claimJob(JobName.langevin, id);
    expect(again.retryCount).toBe(0);
    await queue.complete(again);
    expect(await queue.renewLease(again)).toBe(false);
  });

  it('fails a job with its message, and reports the runs and packs nothing will finish', async () => {
    const pack = await seedModelPack(database.prisma, 'abandoned');
    const run = await database.prisma.run.update({
      where: { id: (await seedRun(database.prisma, pack)).id },
      data: { status: RunStatus.RUNNING },
    });
    const finished = await seedRun(database.prisma, pack);
    const runJob = await claimJob(JobName.langevin, await queue.enqueueRun(JobName.langevin, run.id as RunId));
    const finishedJob = await claimJob(
      JobName.langevin,
      await queue.enqueueRun(JobName.langevin, finished.id as RunId),
    );
    expect(await queue.abandonedRuns()).toEqual([]);
    await queue.fail(runJob, new Error('worker crashed'));
    await queue.fail(finishedJob, new Error('too late'));
    expect(await row(runJob.id)).toMatchObject({ state: 'failed', output: { message: 'worker crashed' } });
    // Only the run still RUNNING is abandoned; the SUCCEEDED one is finished whatever its job did.
    expect(await queue.abandonedRuns()).toEqual([{ runId: run.id, shardId: null, message: 'worker crashed' }]);
    // A new pending job for the run means it is not abandoned.
    const retry = await queue.enqueueRun(JobName.langevin, run.id as RunId);
    expect(await queue.abandonedRuns()).toEqual([]);
    await claimJob(JobName.langevin, retry).then((job) => queue.complete(job));

    const pending = await database.prisma.modelPack.update({
      where: { id: (await seedModelPack(database.prisma, 'pending')).id },
      data: { status: PackStatus.PENDING },
    });
    const check = await queue.enqueue(JobName.packCheck, { packId: pending.id as ModelPackId }, pending.id);
    expect(await queue.abandonedPacks()).toEqual([]);
    await queue.fail(await claimJob(JobName.packCheck, check!), new Error('model crashed'));
    expect(await queue.abandonedPacks()).toEqual([{ packId: pending.id, message: 'model crashed' }]);
    expect(await queue.abandonedExports()).toEqual([]);
    expect(await queue.abandonedAudits()).toEqual([]);
  });

  it('reports the exports, galleries, verifications and audits whose job failed for good, with its message', async () => {
    const prisma = database.prisma;
    const dataset = await prisma.dataset.create({
      data: { name: 'abandoned', digest: '0'.repeat(64), manifestKey: 'datasets/x', identityCount: 1, sampleCount: 0 },
    });
    const datasetExport = await prisma.datasetExport.create({
      data: { datasetId: dataset.id, format: ExportFormat.IMAGE_FOLDER, options: {}, total: 1 },
    });
    const provenance = await prisma.provenanceExport.create({
      data: { subjectId: dataset.id, subjectKind: ProvenanceSubjectKind.DATASET, format: ProvenanceFormat.PROV_N },
    });
    const gallery = await prisma.gallery.create({
      data: { name: 'abandoned', embeddingDim: 3, digest: '1'.repeat(64), recognizerDigest: '2'.repeat(64) },
    });
    await prisma.gallery.update({ where: { id: gallery.id }, data: { status: GalleryStatus.PENDING } });
    const verification = await prisma.verification.create({
      data: { subjectKind: ProvenanceSubjectKind.DATASET, subjectId: dataset.id, sampleCount: 0 },
    });
    const audit = await prisma.leakageAudit.create({
      data: {
        galleryName: 'abandoned',
        galleryDigest: '1'.repeat(64),
        recognizerDigest: '2'.repeat(64),
        scope: AuditScope.IDENTITIES,
        topK: 1,
        threshold: 0.5,
        thresholdSource: ThresholdSource.COSINE,
        shardSize: 1,
      },
    });
    const fail = async <N extends JobName>(name: N, data: JobPayloads[N], key: string, message: string) =>
      queue.fail(await claimJob(name, (await queue.enqueue(name, data, key))!), new Error(message));
    await fail(JobName.datasetExport, { exportId: datasetExport.id as DatasetExportId }, datasetExport.id, 'tar');
    await fail(JobName.provenanceExport, { exportId: provenance.id as ProvenanceExportId }, provenance.id, 'prov');
    await fail(
      JobName.galleryImages,
      { galleryId: gallery.id as GalleryId, modelPackId: randomUUID() as ModelPackId, imagesKey: 'x', labelsKey: null },
      gallery.id,
      'images',
    );
    await fail(JobName.verifyOnCpu, { verificationId: verification.id as VerificationId }, verification.id, 'verify');
    await fail(JobName.auditShard, { auditId: audit.id as AuditId, shard: 0 }, `${audit.id}:0`, 'shard');

    expect(await queue.abandonedExports()).toEqual([{ exportId: datasetExport.id, message: 'tar' }]);
    expect(await queue.abandonedProvenanceExports()).toEqual([{ exportId: provenance.id, message: 'prov' }]);
    expect(await queue.abandonedGalleries()).toEqual([{ galleryId: gallery.id, message: 'images' }]);
    expect(await queue.abandonedVerifications()).toEqual([{ verificationId: verification.id, message: 'verify' }]);
    expect(await queue.abandonedAudits()).toEqual([{ auditId: audit.id, message: 'shard' }]);
  });

  it('counts the jobs that were put back after a failure', async () => {
    const before = await queue.retriedCount();
    const id = await queue.enqueueRun(JobName.langevin, newRunId());
    await database.pool.query('UPDATE pgboss.job SET retry_count = 2 WHERE id = $1', [id]);
    expect(await queue.retriedCount()).toBe(before + 1);
  });

  it('reports nothing abandoned, and renews no lease, once it is closed (a worker stopping mid-loop)', async () => {
    const url = new URL(database.pool.options.connectionString!).toString();
    const closed = await JobQueue.open(url, settings, createLogger('silent'));
    await closed.close();
    expect(await closed.abandonedRuns()).toEqual([]);
    expect(await closed.abandonedExports()).toEqual([]);
    expect(await closed.abandonedProvenanceExports()).toEqual([]);
    expect(await closed.abandonedVerifications()).toEqual([]);
    expect(await closed.abandonedPacks()).toEqual([]);
    expect(await closed.abandonedGalleries()).toEqual([]);
    expect(await closed.abandonedAudits()).toEqual([]);
    expect(await closed.retriedCount()).toBe(0);
    const job: ClaimedJob = {
      id: randomUUID() as JobId,
      name: JobName.langevin,
      data: { runId: newRunId() },
      retryCount: 0,
    };
    expect(await closed.renewLease(job)).toBe(false);
  });

  it('backs off between retries, and expires a job whose lease is not renewed by itself (it supervises)', async () => {
    const backoff = await database.pool.query<{ retry_backoff: boolean }>('SELECT retry_backoff FROM pgboss.queue');
    expect(backoff.rows.map((r) => r.retry_backoff)).toEqual(jobNames.map(() => true));
    const url = new URL(database.pool.options.connectionString!).toString();
    // Its own queue, expiring leases after a second and maintaining every second: nobody else supervises here.
    const expiring = await JobQueue.open(
      url,
      { ...settings, jobExpireSeconds: 1, maintenanceIntervalSeconds: 1, retryLimit: 1 },
      createLogger('silent'),
    );
    try {
      const id = await expiring.enqueueRun(JobName.langevin, newRunId());
      await claimJob(JobName.langevin, id);
      const deadline = Date.now() + 90_000;
      while ((await row(id)).state === 'active') {
        if (Date.now() > deadline) throw new Error(`job ${id} was never expired: ${JSON.stringify(await row(id))}`);
        await new Promise((wake) => setTimeout(wake, 200));
      }
      expect(await row(id)).toMatchObject({
        state: 'retry',
        output: { value: { message: 'job failed by timeout in active state' } },
      });
    } finally {
      await expiring.close();
      // The settings of the later start apply to the shared queues: put this file's back.
      await (await JobQueue.open(url, settings, createLogger('silent'))).close();
    }
  }, 120_000);
});

describe('verifyQueueFor', () => {
  it('sends a verification to the queue of the provider its outputs were made on, and to any worker otherwise', () => {
    expect(verifyQueueFor('cpu')).toBe(JobName.verifyOnCpu);
    expect(verifyQueueFor('cuda')).toBe(JobName.verifyOnCuda);
    for (const unknown of [null, undefined, '', 'rocm']) expect(verifyQueueFor(unknown)).toBe(JobName.verify);
  });
});
