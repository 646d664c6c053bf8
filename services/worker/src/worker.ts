import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { JobName, JobQueue, ClaimedJob } from '../../../src/core/queue/jobQueue.js';
import { ExportStatus, GalleryStatus, PackStatus, RunStatus } from '../../../src/generated/prisma/enums.js';
import { failAbandonedExport } from './exports/exportDatasetJob.js';
import { settleGallery } from '../../../src/core/galleries/galleryLifecycle.js';
import { settlePack } from '../../../src/core/packs/packLifecycle.js';
import { failAudit } from '../../../src/core/audits/auditLifecycle.js';
import type { JobHandler, JobHandlers, WorkerServices } from './jobs/JobHandler.js';
import { RunLifecycle } from '../../../src/core/runs/runLifecycle.js';
import { ShardLifecycle } from '../../../src/core/runs/shardLifecycle.js';

const idlePollMs = 500;

/**
 * Pulls jobs from the Postgres queue and runs them. Stateless: any number of workers on any number
 * of hosts share the queue, the database and the object store.
 */
export class Worker {
  readonly id = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly services: WorkerServices,
    private readonly queue: JobQueue,
    private readonly handlers: JobHandlers,
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.heartbeat = setInterval(() => {
      this.beat().catch((error: Error) => this.services.log.warn({ err: error }, 'heartbeat failed'));
    }, this.services.config.queue.heartbeatSeconds * 1000);
    for (let slot = 0; slot < this.services.config.queue.workerConcurrency; slot++) this.loops.push(this.loop());
    this.services.log.info(
      {
        workerId: this.id,
        executionProvider: this.services.worker.executionProvider,
        queues: Object.keys(this.handlers),
      },
      'worker started',
    );
  }

  /** Stops claiming, aborts running jobs (they release themselves back to the queue) and waits for them. */
  async stop(): Promise<void> {
    this.abort.abort();
    clearInterval(this.heartbeat);
    await Promise.allSettled(this.loops);
    await this.services.prisma.workerHeartbeat.delete({ where: { id: this.id } }).catch(() => undefined);
    this.services.log.info({ workerId: this.id }, 'worker stopped');
  }

  private async beat(): Promise<void> {
    const { host, executionProvider, codeVersion } = this.services.worker;
    await this.services.prisma.workerHeartbeat.upsert({
      where: { id: this.id },
      create: { id: this.id, host, executionProvider, codeVersion },
      update: { lastSeenAt: new Date() },
    });
    const attempts = this.services.config.queue.retryLimit + 1;
    for (const { runId, shardId, message } of await this.queue.abandonedRuns()) {
      const reason = `job failed after ${attempts} attempts: ${message}`;
      if (shardId)
        await new ShardLifecycle(this.services.prisma, this.services.pool, runId, shardId).fail(reason, null);
      else
        await new RunLifecycle(this.services.prisma, this.services.pool, runId).finish(RunStatus.FAILED, {
          error: reason,
        });
      this.services.log.error({ runId, shardId, reason: message }, 'run failed: its job has no retries left');
    }
    for (const { exportId, message } of await this.queue.abandonedExports()) {
      await failAbandonedExport(this.services, exportId, `job failed after ${attempts} attempts: ${message}`);
      this.services.log.error({ exportId, reason: message }, 'export failed: its job has no retries left');
    }
    for (const { exportId, message } of await this.queue.abandonedProvenanceExports()) {
      await this.services.prisma.provenanceExport.update({
        where: { id: exportId },
        data: {
          status: ExportStatus.FAILED,
          error: `job failed after ${attempts} attempts: ${message}`,
          finishedAt: new Date(),
        },
      });
      this.services.log.error({ provenanceExportId: exportId, reason: message }, 'provenance export failed');
    }
    for (const { verificationId, message } of await this.queue.abandonedVerifications()) {
      await this.services.prisma.verification.update({
        where: { id: verificationId },
        data: {
          status: ExportStatus.FAILED,
          error: `job failed after ${attempts} attempts: ${message}`,
          finishedAt: new Date(),
        },
      });
      this.services.log.error({ verificationId, reason: message }, 'verification failed');
    }
    for (const { packId, message } of await this.queue.abandonedPacks()) {
      await settlePack(this.services.prisma, packId, {
        status: PackStatus.REJECTED,
        error: `dry run failed after ${attempts} attempts: ${message}`,
      });
      this.services.log.error({ packId, reason: message }, 'model pack rejected: its check has no retries left');
    }
    for (const { galleryId, message } of await this.queue.abandonedGalleries()) {
      await settleGallery(this.services.prisma, galleryId, {
        status: GalleryStatus.FAILED,
        error: `embedding its images failed after ${attempts} attempts: ${message}`,
      });
      this.services.log.error({ galleryId, reason: message }, 'gallery failed: its job has no retries left');
    }
    for (const { auditId, message } of await this.queue.abandonedAudits()) {
      const error = `job failed after ${this.services.config.queue.retryLimit + 1} attempts: ${message}`;
      await failAudit(this.services.prisma, auditId, error);
      this.services.log.error({ auditId, reason: error }, 'audit failed: a job of it has no retries left');
    }
  }

  private async loop(): Promise<void> {
    const names = Object.keys(this.handlers) as JobName[];
    while (!this.abort.signal.aborted) {
      let worked = false;
      for (const name of names) {
        if (this.abort.signal.aborted) break;
        try {
          const job = await this.queue.claim(name);
          if (job) {
            worked = true;
            // claim(name) returns that queue's payload type, which is what handlers[name] takes.
            await this.run(job, this.handlers[name] as JobHandler);
          }
        } catch (error) {
          this.services.log.error({ err: error, queue: name }, 'worker loop error');
        }
      }
      if (!worked) await sleep(idlePollMs, this.abort.signal);
    }
  }

  private async run(job: ClaimedJob, handler: JobHandler): Promise<void> {
    const log = this.services.log.child({ jobId: job.id, ...job.data, queue: job.name });
    log.info({ retryCount: job.retryCount }, 'job claimed');
    const lease = setInterval(() => {
      this.queue.renewLease(job).catch((error: Error) => log.warn({ err: error }, 'lease renewal failed'));
    }, this.services.config.queue.heartbeatSeconds * 1000);
    try {
      const outcome = await handler(job, { ...this.services, log }, this.abort.signal);
      if (outcome === 'released') {
        await this.queue.release(job);
        log.info('job released back to the queue');
      } else {
        await this.queue.complete(job);
        log.info('job completed');
      }
    } catch (error) {
      log.error({ err: error }, 'job failed');
      await this.queue.fail(job, error as Error);
    } finally {
      clearInterval(lease);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolveSleep) => {
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      resolveSleep();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake, { once: true });
  });
}
