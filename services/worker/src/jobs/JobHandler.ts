import type pg from 'pg';
import type { Config } from '../../../../src/core/config/config.js';
import type { PrismaClient } from '../../../../src/core/db/client.js';
import type { Logger } from '../../../../src/core/logging/logger.js';
import type { ClaimedJob, JobName, JobQueue } from '../../../../src/core/queue/jobQueue.js';
import type { ObjectStore } from '../../../../src/core/store/objectStore.js';
import type { WorkerIdentity } from '../../../../src/core/runs/runLifecycle.js';

export interface WorkerServices {
  config: Config;
  prisma: PrismaClient;
  pool: pg.Pool;
  store: ObjectStore;
  /** For jobs that queue follow-up work (an audit's shards). */
  queue: JobQueue;
  log: Logger;
  worker: WorkerIdentity;
}

/** How a job ended, as far as the queue is concerned. */
export type JobOutcome = 'completed' | 'released';

/**
 * Runs one claimed job. `signal` aborts when the worker shuts down: the handler stops at its next
 * safe point, leaves its last checkpoint, and returns 'released' so another worker resumes it.
 */
export type JobHandler<N extends JobName = JobName> = (
  job: ClaimedJob<N>,
  services: WorkerServices,
  signal: AbortSignal,
) => Promise<JobOutcome>;

/** The handler of each queue a worker serves, typed by what that queue's jobs carry. */
export type JobHandlers = { [N in JobName]?: JobHandler<N> };
