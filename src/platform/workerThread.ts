import { Worker } from 'node:worker_threads';
import type { Config } from '../core/config/config.js';
import type { Logger } from '../core/logging/logger.js';

/** What the thread needs to reach the servers the process started (embedded or external). */
export interface WorkerThreadData {
  config: Config & Required<Pick<Config, 'databaseUrl' | 's3'>>;
}

export type WorkerThreadMessage = { kind: 'ready' } | { kind: 'start-failed'; message: string };

export interface WorkerThread {
  stop(): Promise<void>;
}

const restartDelayMs = { first: 1000, max: 30_000 };

/**
 * The worker of `brownian start` in a thread of its own. onnxruntime-node runs a model
 * synchronously on the calling thread, so a worker on the API's thread held every request for the
 * length of each forward and VJP (docs/operations.md, "Under load"). The thread opens its own
 * connections (workerThreadMain.ts). A thread that dies after a clean start is started again with
 * backoff; the jobs it held expire and are retried, as a dead worker process's are.
 */
export async function startWorkerThread(data: WorkerThreadData, log: Logger): Promise<WorkerThread> {
  let stopping = false;
  let delay = restartDelayMs.first;
  let restartTimer: NodeJS.Timeout | undefined;
  let current: Worker | undefined;

  const relaunch = () => {
    restartTimer = setTimeout(() => {
      launch().then(
        (next) => {
          if (stopping) next.postMessage({ kind: 'stop' });
        },
        (error: Error) => {
          log.error({ err: error, restartInMs: delay }, 'the worker thread could not be started again');
          if (!stopping) relaunch();
        },
      );
    }, delay);
    delay = Math.min(delay * 2, restartDelayMs.max);
  };

  const launch = (): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const thread = new Worker(new URL('./workerThreadMain.js', import.meta.url), { workerData: data });
      let started = false;
      thread.on('message', (message: WorkerThreadMessage) => {
        if (message.kind === 'ready') {
          started = true;
          current = thread;
          delay = restartDelayMs.first;
          resolve(thread);
        } else {
          reject(new Error(`the worker thread did not start: ${message.message}`));
        }
      });
      thread.on('error', (error) => {
        if (started) log.error({ err: error }, 'the worker thread failed');
        else reject(error);
      });
      thread.on('exit', (code) => {
        if (current === thread) current = undefined;
        if (!started) reject(new Error(`the worker thread exited with code ${code} while starting`));
        else if (!stopping) {
          log.error({ code, restartInMs: delay }, 'the worker thread ended; starting it again');
          relaunch();
        }
      });
    });

  await launch();
  return {
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      const thread = current;
      if (!thread) return;
      const exited = new Promise((resolve) => thread.once('exit', resolve));
      thread.postMessage({ kind: 'stop' });
      await exited;
    },
  };
}
