import { createLogger } from '../../src/core/logging/logger.js';
import { JobName } from '../../src/core/queue/jobQueue.js';
import { packCheckJob } from '../../services/worker/src/jobs/packCheckJob.js';
import { Worker } from '../../services/worker/src/worker.js';
import type { TestPlatform } from './testPlatform.js';

/**
 * For test platforms without a worker of their own (their runs go to worker processes the test
 * starts and stops): a real worker that serves only model-pack dry runs while `work` registers
 * packs, so that the packs are READY before any run needs them.
 */
export async function withPackChecker<T>(t: TestPlatform, work: () => Promise<T>): Promise<T> {
  const { database, store, queue } = t.platform;
  const worker = new Worker(
    {
      config: t.config,
      prisma: database.prisma,
      pool: database.pool,
      store,
      queue,
      log: createLogger('warn').child({ component: 'pack checker' }),
      worker: { host: 'test-pack-checker', executionProvider: 'cpu', codeVersion: 'test' },
    },
    queue,
    { [JobName.packCheck]: packCheckJob },
  );
  await worker.start();
  try {
    return await work();
  } finally {
    await worker.stop();
  }
}
