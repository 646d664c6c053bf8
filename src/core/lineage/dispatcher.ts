import type pg from 'pg';
import type { OpenLineageSettings } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import { dispatcherLockKey, dueEvents, markDelivered, markFailed } from './outbox.js';

/** Events sent per pass; the next pass starts at once while there are more. */
const batchSize = 50;
/** How often an idle dispatcher looks for new events. */
const idleMs = 500;
/** A lineage endpoint that does not answer in this long counts as down. */
const requestTimeoutMs = 10_000;

export interface LineageDispatcher {
  stop(): Promise<void>;
}

/**
 * Delivers the outbox to `settings.url`, oldest first: an event is marked delivered only after a
 * 2xx answer, and a failure stops the pass and retries that same event after a delay that doubles
 * with each failure (capped), so every event arrives once per success and in the order written.
 * One process at a time delivers (a session advisory lock); the others stand by. Never throws into
 * the process: a database outage is logged and the loop carries on.
 */
export function startLineageDispatcher(pool: pg.Pool, settings: OpenLineageSettings, log: Logger): LineageDispatcher {
  const url = settings.url;
  if (!url) return { stop: async () => undefined };
  let stopped = false;
  let lockClient: pg.PoolClient | undefined;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function holdLock(): Promise<boolean> {
    if (lockClient) return true;
    const client = await pool.connect();
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      dispatcherLockKey,
    ]);
    if (rows[0]?.locked) {
      client.on('error', () => undefined);
      lockClient = client;
      return true;
    }
    client.release();
    return false;
  }

  async function deliver(payload: object): Promise<string | undefined> {
    try {
      const response = await fetch(url!, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.ok ? undefined : `HTTP ${response.status}`;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /** True when a full batch went out and more may be waiting. */
  async function pass(): Promise<boolean> {
    if (!(await holdLock())) return false;
    const events = await dueEvents(pool, batchSize);
    for (const event of events) {
      if (stopped) return false;
      const problem = await deliver(event.payload);
      if (problem) {
        const delay = Math.min(settings.maxRetryMs, settings.retryMs * 2 ** Math.min(event.attempts, 30));
        await markFailed(pool, event.id, problem, delay);
        log.warn(
          { runId: event.runId, eventType: event.eventType, attempts: event.attempts + 1, problem, retryInMs: delay },
          'OpenLineage event not delivered; will retry',
        );
        return false;
      }
      await markDelivered(pool, event.id);
    }
    return events.length === batchSize;
  }

  const loop = (async () => {
    while (!stopped) {
      let more = false;
      try {
        more = await pass();
      } catch (error) {
        log.warn({ err: error }, 'OpenLineage dispatcher pass failed');
        lockClient?.release(true);
        lockClient = undefined;
      }
      if (!more && !stopped) await sleep(idleMs);
    }
  })();

  return {
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      if (lockClient) {
        await lockClient.query('SELECT pg_advisory_unlock($1)', [dispatcherLockKey]).catch(() => undefined);
        lockClient.release();
        lockClient = undefined;
      }
    },
  };
}
