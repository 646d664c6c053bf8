import type pg from 'pg';
import type { Config } from '../../../src/core/config/config.js';
import type { PrismaClient } from '../../../src/core/db/client.js';
import type { Logger } from '../../../src/core/logging/logger.js';
import type { JobQueue } from '../../../src/core/queue/jobQueue.js';
import type { ObjectStore } from '../../../src/core/store/objectStore.js';
import { jobHandlersFor } from './jobs/index.js';
import { selectExecutionProvider } from './runtime/executionProvider.js';
import { Worker } from './worker.js';

export interface WorkerStartOptions {
  config: Config;
  prisma: PrismaClient;
  pool: pg.Pool;
  store: ObjectStore;
  queue: JobQueue;
  log: Logger;
  host: string;
  codeVersion: string;
}

export async function startWorker(options: WorkerStartOptions): Promise<Worker> {
  const { config, prisma, pool, store, queue, log, host, codeVersion } = options;
  const selection = await selectExecutionProvider(config.device);
  log.info({ executionProvider: selection.provider, reason: selection.reason }, 'execution provider selected');
  const executionProvider = selection.provider;
  const worker = new Worker(
    { config, prisma, pool, store, queue, log, worker: { host, executionProvider, codeVersion } },
    queue,
    jobHandlersFor(executionProvider),
  );
  await worker.start();
  return worker;
}
