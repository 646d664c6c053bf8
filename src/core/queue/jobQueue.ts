import PgBoss from 'pg-boss';
import type { QueueSettings } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import * as statements from './pgBossStatements.js';
import type {
  AuditId,
  DatasetExportId,
  GalleryId,
  JobId,
  ModelPackId,
  ProvenanceExportId,
  RunId,
  VerificationId,
  ShardId,
} from '../ids/ids.js';

/** Queue names, one per kind of work a worker can do. */
export const JobName = {
  langevin: 'run-langevin',
  /** One shard of a Dispersion or DisCo run. */
  dispersion: 'run-dispersion',
  auditPlan: 'audit-plan',
  auditShard: 'audit-shard',
  galleryImages: 'gallery-images',
  datasetExport: 'export-dataset',
  /** The dry run of a newly registered model pack. */
  packCheck: 'check-pack',
  /** Streams the provenance document of a large subject to the object store. */
  provenanceExport: 'export-provenance',
  /**
   * Re-derives samples from their provenance and checks their digests, on any worker: for subjects
   * whose runs name no single known execution provider (a worker on another fails it at once).
   */
  verify: 'verify-samples',
  /** The same, served only by workers on the CPU provider: verifications of runs made on it. */
  verifyOnCpu: 'verify-samples-cpu',
  /** The same, served only by workers on the CUDA provider. */
  verifyOnCuda: 'verify-samples-cuda',
} as const;
/** The queues of verification jobs: one for any worker, one per execution provider. */
export type VerifyJobName = typeof JobName.verify | typeof JobName.verifyOnCpu | typeof JobName.verifyOnCuda;
export const verifyJobNames: VerifyJobName[] = [JobName.verify, JobName.verifyOnCpu, JobName.verifyOnCuda];

/** The queue whose workers can re-derive, bit for bit, outputs made on `provider` (any worker when unknown). */
export function verifyQueueFor(provider: string | null | undefined): VerifyJobName {
  if (provider === 'cpu') return JobName.verifyOnCpu;
  if (provider === 'cuda') return JobName.verifyOnCuda;
  return JobName.verify;
}
export type JobName = (typeof JobName)[keyof typeof JobName];
export const jobNames: JobName[] = Object.values(JobName);

export interface RunJobData {
  runId: RunId;
}

/** Plans an audit (waiting for its runs first) and queues its shards. */
export interface AuditPlanJobData {
  auditId: AuditId;
}

/** One slice of an audit's synthetic embeddings against the whole gallery. */
export interface AuditShardJobData {
  auditId: AuditId;
  shard: number;
}

/** Embeds the uploaded face images of a gallery with a pack's alignment and recognizer. */
export interface GalleryImagesJobData {
  galleryId: GalleryId;
  modelPackId: ModelPackId;
  /** The uploaded tar of images, removed once the gallery is settled. */
  imagesKey: string;
  /** Labels, one per image in archive order; folder names when absent. */
  labelsKey: string | null;
}

/** A shard job names its run too, so that run-wide queries (cancel, failure) find it. */
export interface ShardJobData {
  runId: RunId;
  shardId: ShardId;
  shardIndex: number;
}

/** Writes one export of a dataset. */
export interface ExportJobData {
  exportId: DatasetExportId;
}

/** Dry-runs a PENDING model pack and settles it READY or REJECTED. */
export interface PackCheckJobData {
  packId: ModelPackId;
}

/** Writes one provenance document. */
export interface ProvenanceExportJobData {
  exportId: ProvenanceExportId;
}

/** Runs one verification. */
export interface VerifyJobData {
  verificationId: VerificationId;
}

/** What each queue's jobs carry. */
export interface JobPayloads {
  [JobName.langevin]: RunJobData;
  [JobName.dispersion]: ShardJobData;
  [JobName.auditPlan]: AuditPlanJobData;
  [JobName.auditShard]: AuditShardJobData;
  [JobName.galleryImages]: GalleryImagesJobData;
  [JobName.datasetExport]: ExportJobData;
  [JobName.packCheck]: PackCheckJobData;
  [JobName.provenanceExport]: ProvenanceExportJobData;
  [JobName.verify]: VerifyJobData;
  [JobName.verifyOnCpu]: VerifyJobData;
  [JobName.verifyOnCuda]: VerifyJobData;
}

export interface ClaimedJob<N extends JobName = JobName> {
  id: JobId;
  name: N;
  data: JobPayloads[N];
  retryCount: number;
}

/** A job of a run that failed for good; shard jobs name their shard. */
export interface AbandonedRun {
  runId: RunId;
  shardId: ShardId | null;
  message: string;
}

/** Jobs of one run share the run id as the prefix of their singleton key. */
function shardKey(runId: RunId, shardIndex: number): string {
  return `${runId}:${shardIndex}`;
}

/**
 * pg-boss runs statements through node-postgres, whose results also carry rowCount. Once pg-boss is
 * closed (a worker shutting down while its loop still reads), executeSql returns nothing at all.
 */
interface SqlExecutor {
  executeSql(text: string, values: unknown[]): Promise<{ rows: unknown[]; rowCount?: number | null } | undefined>;
}

/**
 * pg-boss (Postgres-backed): jobs live in the same database as the runs they belong to, so a run
 * row and its job are written in one place, and any host with DATABASE_URL can work.
 */
export class JobQueue {
  private constructor(
    private readonly boss: PgBoss,
    private readonly settings: QueueSettings,
  ) {}

  /**
   * Every process supervises: expiry of dead workers' jobs must not depend on any one process living.
   * pg-boss reports what fails in the background (maintenance, supervision, a pooled connection the
   * database dropped) only as `error` events; each one is logged, none is dropped.
   */
  static async open(databaseUrl: string, settings: QueueSettings, log: Logger): Promise<JobQueue> {
    const boss = new PgBoss({
      connectionString: databaseUrl,
      schema: statements.pgBossSchema,
      supervise: true,
      schedule: false,
      maintenanceIntervalSeconds: settings.maintenanceIntervalSeconds,
      max: 4,
    });
    boss.on('error', (error: Error) => log.error({ err: error }, 'job queue (pg-boss) error'));
    await boss.start();
    for (const name of jobNames) {
      // 'short': at most one queued job per singleton key. Under pg-boss 10's 'standard' policy a
      // singleton key alone deduplicates nothing, so a second enqueue of the same work was accepted.
      const queue = {
        name,
        policy: 'short' as const,
        retryLimit: settings.retryLimit,
        retryDelay: settings.retryDelaySeconds,
        retryBackoff: true,
        expireInSeconds: settings.jobExpireSeconds,
      };
      await boss.createQueue(name, queue);
      // createQueue leaves an existing queue as it was: the policy and settings of this start apply through updateQueue.
      await boss.updateQueue(name, queue);
    }
    return new JobQueue(boss, settings);
  }

  /** One queued job per run: a second enqueue of the same run while its job waits in the queue is refused. */
  async enqueueRun(name: JobName, runId: RunId): Promise<JobId> {
    const id = await this.boss.send(name, { runId } satisfies RunJobData, {
      singletonKey: runId,
      retryLimit: this.settings.retryLimit,
    });
    if (id === null) throw new Error(`run ${runId} already has a queued job`);
    return id as JobId;
  }

  /**
   * Queues a job other than a run's. `singletonKey` makes a second enqueue of the same work while
   * one is queued a no-op (returns undefined); `startAfterSeconds` delays it, for polling jobs.
   */
  async enqueue<N extends JobName>(
    name: N,
    data: JobPayloads[N],
    singletonKey: string,
    startAfterSeconds = 0,
  ): Promise<JobId | undefined> {
    const id = await this.boss.send(name, data as object, {
      singletonKey,
      retryLimit: this.settings.retryLimit,
      ...(startAfterSeconds > 0 ? { startAfter: startAfterSeconds } : {}),
    });
    return id === null ? undefined : (id as JobId);
  }

  /** One queued job per shard; shards of one run are claimed by any number of workers at once. */
  async enqueueShard(data: ShardJobData): Promise<JobId> {
    const id = await this.enqueue(JobName.dispersion, data, shardKey(data.runId, data.shardIndex));
    if (id === undefined) throw new Error(`shard ${data.shardIndex} of run ${data.runId} already has a queued job`);
    return id;
  }

  async claim<N extends JobName>(name: N): Promise<ClaimedJob<N> | undefined> {
    const [job] = await this.boss.fetch<JobPayloads[N]>(name, { batchSize: 1, includeMetadata: true });
    if (!job) return undefined;
    return { id: job.id as JobId, name, data: job.data, retryCount: job.retryCount };
  }

  async complete(job: ClaimedJob): Promise<void> {
    await this.boss.complete(job.name, job.id);
  }

  async fail(job: ClaimedJob, error: Error): Promise<void> {
    await this.boss.fail(job.name, job.id, { message: error.message });
  }

  async cancel(name: JobName, id: JobId): Promise<void> {
    await this.boss.cancel(name, id);
  }

  /** Cancels every job of a run that has not finished (queued, retrying or active), its shards' included. */
  async cancelRunJobs(runId: RunId): Promise<void> {
    const jobs = await this.rows<{ name: JobName; id: JobId }>(statements.unfinishedRunJobs, [runId]);
    for (const row of jobs) await this.boss.cancel(row.name, row.id);
  }

  /**
   * pg-boss 10 has no job heartbeat: a job expires `expireInSeconds` after it started. A live worker
   * renews its lease by moving the start forward, so only jobs of dead workers expire and retry.
   */
  async renewLease(job: ClaimedJob): Promise<boolean> {
    const result = await this.db().executeSql(statements.renewLease, [job.name, job.id]);
    return (result?.rowCount ?? 0) > 0;
  }

  /** Hands a job back without spending a retry, for a worker shutting down mid-job. */
  async release(job: ClaimedJob): Promise<void> {
    await this.db().executeSql(statements.releaseJob, [job.name, job.id]);
  }

  /**
   * Runs still QUEUED or RUNNING whose job failed for good (retries spent, or a worker kept dying):
   * nothing would ever finish them, so they are reported to be failed visibly.
   */
  async abandonedRuns(): Promise<AbandonedRun[]> {
    return this.rows<AbandonedRun>(statements.abandonedRuns, []);
  }

  /** Exports still QUEUED or RUNNING whose job failed for good. */
  async abandonedExports(): Promise<Array<{ exportId: DatasetExportId; message: string }>> {
    return this.rows<{ exportId: DatasetExportId; message: string }>(statements.abandonedExports, []);
  }

  /** Provenance exports whose job failed for good. */
  async abandonedProvenanceExports(): Promise<Array<{ exportId: ProvenanceExportId; message: string }>> {
    return this.rows<{ exportId: ProvenanceExportId; message: string }>(statements.abandonedProvenanceExports, [
      JobName.provenanceExport,
    ]);
  }

  /** Verifications whose job failed for good. */
  async abandonedVerifications(): Promise<Array<{ verificationId: VerificationId; message: string }>> {
    return this.rows<{ verificationId: VerificationId; message: string }>(statements.abandonedVerifications, [
      verifyJobNames,
    ]);
  }

  /** PENDING packs whose dry-run job failed for good (e.g. a model that crashes every worker that loads it). */
  async abandonedPacks(): Promise<Array<{ packId: ModelPackId; message: string }>> {
    return this.rows<{ packId: ModelPackId; message: string }>(statements.abandonedPacks, [JobName.packCheck]);
  }

  /** PENDING galleries whose embedding job failed for good. */
  async abandonedGalleries(): Promise<Array<{ galleryId: GalleryId; message: string }>> {
    return this.rows<{ galleryId: GalleryId; message: string }>(statements.abandonedGalleries, [JobName.galleryImages]);
  }

  /** Audits still QUEUED or RUNNING with a job that failed for good: like abandonedRuns, for audits. */
  async abandonedAudits(): Promise<Array<{ auditId: AuditId; message: string }>> {
    return this.rows<{ auditId: AuditId; message: string }>(statements.abandonedAudits, [
      [JobName.auditPlan, JobName.auditShard],
    ]);
  }

  async depth(): Promise<Record<JobName, number>> {
    const depths = {} as Record<JobName, number>;
    for (const name of jobNames) depths[name] = await this.boss.getQueueSize(name);
    return depths;
  }

  /** Jobs that pg-boss put back after a failure or an expired lease. */
  async retriedCount(): Promise<number> {
    const [row] = await this.rows<{ n: number }>(statements.retriedJobCount, []);
    return row?.n ?? 0;
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true, close: true });
  }

  private db(): SqlExecutor {
    return this.boss.getDb() as SqlExecutor;
  }

  /** The rows of a statement on pg-boss's tables; none once pg-boss is closed. */
  private async rows<Row>(text: string, values: unknown[]): Promise<Row[]> {
    const result = await this.db().executeSql(text, values);
    return (result?.rows ?? []) as Row[];
  }
}
