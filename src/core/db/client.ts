import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../../generated/prisma/client.js';

export type { PrismaClient };

export interface Database {
  prisma: PrismaClient;
  pool: pg.Pool;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Called for every SQL statement sent, e.g. to count them in metrics. */
  onStatement?: () => void;
  maxConnections?: number;
  /** An idle connection the server dropped (restart, shutdown); the pool replaces it on next use. */
  onIdleError?: (error: Error) => void;
}

/** Prisma over node-postgres, so the same pool also serves LISTEN/NOTIFY and raw statements. */
export function openDatabase(url: string, options: DatabaseOptions = {}): Database {
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10 });
  // Without a listener, node-postgres turns a dropped idle connection into a process crash.
  // Once closing, a server that shuts down right after us may still reach a closing socket: expected.
  let closing = false;
  pool.on('error', (error) => {
    if (!closing) options.onIdleError?.(error);
  });
  // A connection checked out of the pool has no pool listener: when the server dies between two of
  // its statements (a transaction held open across other work), its 'error' event would end the
  // process. The holder sees the failure on its next statement and releases the connection, which
  // the pool then drops.
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      if (!closing) options.onIdleError?.(error);
    });
  });
  const onStatement = options.onStatement;
  if (onStatement) {
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        onStatement();
        return query(...args);
      };
    });
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    pool,
    async close() {
      closing = true;
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
