import type pg from 'pg';
import type { OpenLineageSettings } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import { dispatcherLockKey, dueEvents, markDelivered, markFailed, pruneOutbox } from './outbox.js';

/** Events sent per pass; the next pass starts at once while there are more. */
const batchSize = 50;
/** How often an idle dispatcher looks for new events. */
const idleMs = 500;
/** A lineage endpoint that does not answer in this long counts as down. */
const requestTimeoutMs = 10_000;
/** How often the outbox is pruned (see pruneOutbox); the first pruning is at start. */
const pruneEveryMs = 3_600_000;

export interface LineageDispatcher {
  stop(): Promise<void>;
}

/**
 * Delivers the outbox to `settings.url`, oldest first: an event is marked delivered only after a
 * 2xx answer, and a failure holds back that run's later events and retries that same event after a
 * delay that doubles with each failure (capped), while other runs' events go on: every event arrives
 * once per success, and each run's in the order written.
 * One process at a time delivers (a session advisory lock); the others stand by. Never throws into
 * the process: a database outage is logged and the loop carries on.
 */
export function startLineageDispatcher(pool: pg.Pool, settings: OpenLineageSettings, log: Logger): LineageDispatcher {
  const url = settings.url;
  const prune = () =>
    pruneOutbox(pool, settings.retentionHours, !url).then(
      (pruned) =>
        pruned > 0 && log.info({ pruned, retentionHours: settings.retentionHours }, 'OpenLineage outbox pruned'),
      (error: unknown) => log.warn({ err: error }, 'OpenLineage outbox pruning failed'),
    );
  let pruning = prune();
  const pruneTimer = setInterval(() => {
    pruning = prune();
  }, pruneEveryMs);
  pruneTimer.unref();
  if (!url) {
    return {
      async stop() {
        clearInterval(pruneTimer);
        await pruning;
      },
    };
  }
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

  /** True when a full batch was read and something went out: more may be waiting. */
  async function pass(): Promise<boolean> {
    if (!(await holdLock())) return false;
    const events = await dueEvents(pool, batchSize);
    const held = new Set<string>();
    let delivered = 0;
    for (const event of events) {
      if (stopped) return false;
      if (held.has(event.runId)) continue;
      const problem = await deliver(event.payload);
      if (problem) {
        const delay = Math.min(settings.maxRetryMs, settings.retryMs * 2 ** Math.min(event.attempts, 30));
        await markFailed(pool, event.id, problem, delay);
        held.add(event.runId);
        log.warn(
          { runId: event.runId, eventType: event.eventType, attempts: event.attempts + 1, problem, retryInMs: delay },
          'OpenLineage event not delivered; will retry',
        );
        continue;
      }
      await markDelivered(pool, event.id);
      delivered++;
    }
    return events.length === batchSize && delivered > 0;
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
      clearInterval(pruneTimer);
      wake?.();
      await pruning;
      await loop;
      if (lockClient) {
        await lockClient.query('SELECT pg_advisory_unlock($1)', [dispatcherLockKey]).catch(() => undefined);
        lockClient.release();
        lockClient = undefined;
      }
    },
  };
}
