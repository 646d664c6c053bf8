import type { Request, Response } from 'express';
import pg from 'pg';
import type { ApiServices } from '../graphql/context.js';
import { liveWorkers } from './workerHealth.js';

/** A frozen database (SIGSTOP, a hung host) never answers: past this, it counts as down. */
const probeTimeoutMs = 2000;

class ProbeTimeout extends Error {
  constructor() {
    super(`no answer within ${probeTimeoutMs} ms`);
  }
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout()), probeTimeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The database probe keeps a connection of its own: probing through the pool would measure how
 * busy the pool is (and wait behind a hung one), not whether the database answers.
 */
class DatabaseProbe {
  private client: pg.Client | undefined;

  constructor(private readonly connectionString: string) {}

  async check(): Promise<void> {
    try {
      if (!this.client) {
        const client = new pg.Client({
          connectionString: this.connectionString,
          connectionTimeoutMillis: probeTimeoutMs,
        });
        client.on('error', () => this.drop(client));
        this.client = client;
        await withTimeout(client.connect());
      }
      await withTimeout(this.client.query('SELECT 1'));
    } catch (error) {
      if (this.client) this.drop(this.client);
      throw error;
    }
  }

  close(): void {
    if (this.client) this.drop(this.client);
  }

  private drop(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
    // end() waits for a frozen server's goodbye; the socket is simply let go.
    client.end().catch(() => undefined);
  }
}

export interface HealthEndpoint {
  handle(req: Request, res: Response): Promise<void>;
  close(): void;
}

interface HealthReport {
  healthy: boolean;
  body: Record<string, unknown>;
}

/** A probe in flight (no `settledAt` yet) or finished. */
interface PendingReport {
  report: Promise<HealthReport>;
  settledAt?: number;
}

/**
 * A report this recent answers further requests: load balancers and dashboards poll /healthz many
 * times a second, and each probe costs a statement, an object-store round trip and a worker
 * listing (docs/operations.md, "Under load").
 */
export const healthReuseMs = 1000;

/**
 * `/healthz`: 200 when the database and the object store answer within 2 s, 503 (with which failed)
 * otherwise. Concurrent requests share one probe, and a report is reused for `healthReuseMs`.
 */
export function healthEndpoint(services: ApiServices): HealthEndpoint {
  const probe = new DatabaseProbe(services.pool.options.connectionString ?? '');
  const check = async (name: string, run: () => Promise<unknown>): Promise<string> => {
    try {
      await withTimeout(run());
      return 'ok';
    } catch (error) {
      services.log.warn({ err: error, component: name }, 'health check failed');
      return error instanceof ProbeTimeout ? 'timeout' : 'unreachable';
    }
  };
  const report = async (): Promise<HealthReport> => {
    const [database, objectStore] = await Promise.all([
      check('database', () => probe.check()),
      check('objectStore', () => services.store.ping()),
    ]);
    const workers =
      database === 'ok'
        ? await withTimeout(liveWorkers(services.prisma, services.config.queue.heartbeatSeconds)).catch(() => [])
        : [];
    const healthy = database === 'ok' && objectStore === 'ok';
    return {
      healthy,
      body: {
        status: healthy ? 'ok' : 'unavailable',
        database,
        objectStore,
        workers: workers.map((w) => ({
          id: w.id,
          host: w.host,
          executionProvider: w.executionProvider,
          lastSeenAt: w.lastSeenAt,
        })),
        checkedAt: new Date().toISOString(),
      },
    };
  };
  let latest: PendingReport | undefined;
  const current = (): Promise<HealthReport> => {
    if (latest && (latest.settledAt === undefined || Date.now() - latest.settledAt < healthReuseMs))
      return latest.report;
    const entry: PendingReport = { report: report() };
    void entry.report.finally(() => (entry.settledAt = Date.now()));
    latest = entry;
    return entry.report;
  };
  return {
    async handle(_req, res) {
      const { healthy, body } = await current();
      res.status(healthy ? 200 : 503).json(body);
    },
    close: () => probe.close(),
  };
}
