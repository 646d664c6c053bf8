/**
 * Entry point of the worker thread of `brownian start` (workerThread.ts): a worker-only platform on
 * the servers the process started, with connections of its own. It answers `ready` once its worker
 * takes jobs, and stops (jobs back to the queue, connections closed) when told to.
 */
import 'reflect-metadata';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../core/logging/logger.js';
import { startPlatform } from './platform.js';
import type { WorkerThreadData, WorkerThreadMessage } from './workerThread.js';

const port = parentPort!;
const { config } = workerData as WorkerThreadData;
const log = createLogger(config.logLevel).child({ thread: 'worker' });
const send = (message: WorkerThreadMessage) => port.postMessage(message);

try {
  const platform = await startPlatform(config, log, { api: false, worker: true });
  // process.exit in a worker thread ends the thread alone, whatever handles a library left open.
  port.once('message', () => {
    void platform.stop().finally(() => process.exit(0));
  });
  send({ kind: 'ready' });
} catch (error) {
  send({ kind: 'start-failed', message: (error as Error).message });
  process.exit(1);
}
