import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../core/logging/logger.js';
import { processInfo, processIsAlive } from './processes.js';

/** How often the postmaster is looked for, and how long to wait between failed restarts. */
const checkEveryMs = 1000;

/** A server that can be started again on the same port and data folder. */
export interface RestartableServer {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The PID in `postmaster.pid` runs and is not a zombie waiting to be reaped. */
async function postmasterRuns(databaseDir: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number((await readFile(join(databaseDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !processIsAlive(pid)) return false;
  return !(await processInfo(pid))?.zombie;
}

/**
 * Keeps the embedded PostgreSQL running while the platform runs: a postmaster that dies (kill -9,
 * the OOM killer) is started again on the same port, so that the API's pool, the queue and the
 * LISTEN connections reconnect by themselves (docs/operations.md, "Database outages"). A restart
 * can fail while the dead server's backends still hold its shared memory; it is retried until it
 * works or the platform stops.
 */
export function superviseEmbeddedPostgres(
  first: RestartableServer,
  make: () => RestartableServer,
  databaseDir: string,
  log: Logger,
): { stop(): Promise<void> } {
  let current = first;
  let stopping = false;
  let restarting: Promise<void> | undefined;

  const restart = async () => {
    log.warn({ component: 'postgres', databaseDir }, 'the embedded PostgreSQL stopped unexpectedly; starting it again');
    for (let attempt = 1; !stopping; attempt++) {
      const next = make();
      try {
        await next.start();
        current = next;
        log.info({ component: 'postgres', attempt }, 'embedded PostgreSQL started again');
        return;
      } catch (error) {
        log.warn({ component: 'postgres', attempt, err: error }, 'the embedded PostgreSQL did not start yet; retrying');
        await new Promise((resolveDelay) => setTimeout(resolveDelay, checkEveryMs));
      }
    }
  };

  const timer = setInterval(() => {
    if (stopping || restarting) return;
    void postmasterRuns(databaseDir).then((runs) => {
      if (runs || stopping || restarting) return;
      restarting = restart().finally(() => (restarting = undefined));
    });
  }, checkEveryMs);
  timer.unref();

  return {
    async stop() {
      stopping = true;
      clearInterval(timer);
      await restarting;
      await current.stop();
    },
  };
}
