import type pg from 'pg';
import type { Logger } from '../logging/logger.js';
import { runEventChannel, type RunEvent } from './runEvents.js';

/** The one topic subscriptions listen on; a run id as topic id narrows it to that run. */
export const runEventTopic = 'RUN_EVENT';

type Listener = (event: RunEvent) => void;

/**
 * Run events fed by Postgres LISTEN on one dedicated connection, so an API process hears events
 * from every worker and every other API process. Its publish/subscribe pair has the shape of
 * type-graphql's PubSub, which the API hands it to, without the core depending on GraphQL.
 */
export class EventHub {
  private readonly listeners = new Set<Listener>();
  private client: pg.PoolClient | undefined;
  private stopped = false;

  /**
   * If the connection drops (a database restart), it listens again a second later; events sent in
   * between are missed, which subscribers can make up by querying the run.
   */
  async listen(pool: pg.Pool, log: Logger): Promise<void> {
    const client = await pool.connect();
    this.client = client;
    client.on('error', (error) => {
      if (this.client !== client) return;
      this.client = undefined;
      client.release(error);
      if (this.stopped) return;
      log.warn({ err: error }, 'run event connection lost; listening again');
      setTimeout(() => void this.listen(pool, log).catch((e: Error) => log.error({ err: e }, 'cannot listen for run events')), 1000);
    });
    client.on('notification', (message) => {
      if (message.channel !== runEventChannel || message.payload === undefined) return;
      try {
        this.publish(runEventTopic, JSON.parse(message.payload) as RunEvent);
      } catch {
        log.warn({ payload: message.payload }, 'ignoring malformed run event');
      }
    });
    await client.query(`LISTEN ${runEventChannel}`);
  }

  publish(routingKey: string, ...args: unknown[]): void {
    if (routingKey !== runEventTopic) return;
    const event = args[0] as RunEvent;
    for (const listener of this.listeners) listener(event);
  }

  /** Events in arrival order; the iterator ends when the consumer returns (a client unsubscribes). */
  subscribe(routingKey: string, runId?: unknown): AsyncIterableIterator<RunEvent> {
    const queue: RunEvent[] = [];
    let wake: (() => void) | undefined;
    let done = routingKey !== runEventTopic;
    const listener: Listener = (event) => {
      if (runId !== undefined && event.runId !== runId) return;
      queue.push(event);
      wake?.();
    };
    this.listeners.add(listener);
    const finish = (): IteratorResult<RunEvent> => {
      done = true;
      this.listeners.delete(listener);
      wake?.();
      return { value: undefined, done: true };
    };
    const iterator: AsyncIterableIterator<RunEvent> = {
      next: async () => {
        while (queue.length === 0 && !done) await new Promise<void>((resolveWake) => (wake = resolveWake));
        wake = undefined;
        const event = queue.shift();
        return event === undefined ? finish() : { value: event, done: false };
      },
      return: async () => finish(),
      throw: async () => finish(),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listeners.clear();
    if (this.client) {
      await this.client.query(`UNLISTEN ${runEventChannel}`).catch(() => undefined);
      this.client.release();
      this.client = undefined;
    }
  }
}
