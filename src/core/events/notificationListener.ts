import type pg from 'pg';
import type { Logger } from '../logging/logger.js';

export interface NotificationHandlers {
  onNotification(channel: string, payload: string): void;
  /**
   * Called once listening again after the connection was lost: NOTIFYs sent in between are gone
   * for good (Postgres does not queue them for absent listeners), so callers catch up from rows.
   */
  onResumed(lostAt: Date): void | Promise<void>;
}

export interface NotificationListener {
  stop(): Promise<void>;
}

const firstRetryMs = 250;
const maxRetryMs = 5000;

/**
 * LISTEN on one dedicated connection of `pool`. A lost connection (database restart, outage) is
 * retried forever with exponential backoff capped at 5 s: an API that outlives a database outage
 * must start delivering again by itself. The first connection must succeed, so that a wrong
 * database fails start-up instead of retrying silently.
 */
export async function listenForNotifications(
  pool: pg.Pool,
  channels: readonly string[],
  log: Logger,
  handlers: NotificationHandlers,
): Promise<NotificationListener> {
  let client: pg.PoolClient | undefined;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = await pool.connect();
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (stopped) return; // stop() released it
      if (client === next) client = undefined;
      next.release(error ?? new Error('listen connection ended'));
      log.warn({ err: error, channels }, 'notification connection lost; listening again');
      scheduleRetry(new Date(), firstRetryMs);
    };
    next.on('error', onLost);
    next.on('end', () => onLost());
    next.on('notification', (message) => {
      if (message.payload !== undefined && channels.includes(message.channel))
        handlers.onNotification(message.channel, message.payload);
    });
    try {
      for (const channel of channels) await next.query(`LISTEN ${channel}`);
    } catch (error) {
      onLost(error as Error);
      throw error;
    }
    // stop() came while this connection was being set up: it is not ours to keep (pool.end() would wait for it).
    if (stopped) {
      lost = true;
      next.release();
      return;
    }
    client = next;
  };

  const scheduleRetry = (lostAt: Date, delayMs: number) => {
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (stopped) return;
      connect().then(
        async () => {
          if (stopped) return;
          log.info({ channels }, 'listening for notifications again');
          try {
            await handlers.onResumed(lostAt);
          } catch (error) {
            log.warn({ err: error }, 'catching up after a lost notification connection failed');
          }
        },
        (error: Error) => {
          // connect() already scheduled the next try when the connection broke after connecting.
          if (!stopped && retryTimer === undefined && client === undefined) {
            log.debug({ err: error }, 'database still unreachable for notifications');
            scheduleRetry(lostAt, Math.min(delayMs * 2, maxRetryMs));
          }
        },
      );
    }, delayMs);
    retryTimer.unref();
  };

  try {
    await connect();
  } catch (error) {
    stopped = true;
    if (retryTimer) clearTimeout(retryTimer);
    throw error;
  }
  return {
    async stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      const current = client;
      client = undefined;
      if (current) {
        await current.query('UNLISTEN *').catch(() => undefined);
        current.release();
      }
    },
  };
}
