import type pg from 'pg';
import type { RunId } from '../ids/ids.js';
import type { Logger } from '../logging/logger.js';
import { listenForNotifications, type NotificationListener } from './notificationListener.js';
import { auditEventChannel, type AuditProgressEvent } from './auditEvents.js';
import { EventFeed, subscriptionSubject } from './eventFeed.js';
import { exportEventChannel, type ExportProgressEvent } from './exportEvents.js';
import { galleryEventChannel, type GalleryStatusEvent } from './galleryEvents.js';
import { packEventChannel, type PackStatusEvent } from './packEvents.js';
import { runEventChannel, type RunEvent } from './runEvents.js';

/** The one topic subscriptions listen on; a run id as topic id narrows it to that run. */
export const runEventTopic = 'RUN_EVENT';
/** Audit progress; an audit id as topic id narrows it to that audit. */
export const auditEventTopic = 'AUDIT_EVENT';
/** Model-pack status; a pack id as topic id narrows it to that pack. */
export const packEventTopic = 'PACK_EVENT';

/** What the hub had delivered when its connection was lost, so that the rest can be read from rows. */
export interface CatchUpRequest {
  /** Runs someone subscribes to, with the last iteration delivered for each (-1: none). */
  runs: Map<RunId, number>;
  /** Whether anyone subscribes to every run; then every run changed since `lostAt` is wanted. */
  allRuns: boolean;
  lostAt: Date;
}

/** Reads the events a lost connection missed, in the order they happened. */
export type RunCatchUp = (request: CatchUpRequest) => Promise<RunEvent[]>;

/** The current state of audits someone watches, read after a lost connection came back. */
export type AuditCatchUp = (auditIds: string[]) => Promise<AuditProgressEvent[]>;

/** The current state of exports someone watches, read after a lost connection came back. */
export type ExportCatchUp = (exportIds: string[]) => Promise<ExportProgressEvent[]>;

/** How the hub reads back what a lost connection missed, per kind of event. */
export interface CatchUps {
  runs?: RunCatchUp;
  audits?: AuditCatchUp;
  exports?: ExportCatchUp;
}

interface Listener {
  runId: RunId | undefined;
  deliver(event: RunEvent): void;
}

/**
 * Run and audit events fed by Postgres LISTEN on one dedicated connection, so an API process hears events
 * from every worker and every other API process. Its publish/subscribe pair has the shape of
 * type-graphql's PubSub, which the API hands it to, without the core depending on GraphQL. After an
 * outage the connection is retried forever, and what subscribers missed is read back through `catchUp`.
 */
export class EventHub {
  private readonly listeners = new Set<Listener>();
  private readonly lastIteration = new Map<RunId, number>();
  private listener: NotificationListener | undefined;
  private readonly audits = new EventFeed<AuditProgressEvent>((event) => event.auditId);
  private readonly packs = new EventFeed<PackStatusEvent>((event) => event.packId);
  private readonly galleries = new EventFeed<GalleryStatusEvent>((event) => event.galleryId);
  private readonly exports = new EventFeed<ExportProgressEvent>((event) => event.exportId);

  async listen(pool: pg.Pool, log: Logger, catchUps: CatchUps = {}): Promise<void> {
    const channels = [auditEventChannel, packEventChannel, galleryEventChannel, exportEventChannel, runEventChannel];
    this.listener = await listenForNotifications(pool, channels, log, {
      onNotification: (channel, payload) => {
        try {
          if (channel === galleryEventChannel) {
            this.galleries.publish(JSON.parse(payload) as GalleryStatusEvent);
            return;
          }
          if (channel === exportEventChannel) {
            this.exports.publish(JSON.parse(payload) as ExportProgressEvent);
            return;
          }
          const topic =
            channel === auditEventChannel
              ? auditEventTopic
              : channel === packEventChannel
                ? packEventTopic
                : runEventTopic;
          this.publish(topic, JSON.parse(payload) as RunEvent | AuditProgressEvent | PackStatusEvent);
        } catch {
          log.warn({ payload }, 'ignoring malformed run event');
        }
      },
      onResumed: async (lostAt) => {
        const audits = this.audits.subjects();
        if (catchUps.audits && audits.length > 0)
          for (const event of await catchUps.audits(audits)) this.audits.publish(event);
        const exports = this.exports.subjects();
        if (catchUps.exports && exports.length > 0)
          for (const event of await catchUps.exports(exports)) this.exports.publish(event);
        const catchUp = catchUps.runs;
        if (!catchUp || this.listeners.size === 0) return;
        const runs = new Map<RunId, number>();
        let allRuns = false;
        for (const { runId } of this.listeners) {
          if (runId === undefined) allRuns = true;
          else runs.set(runId, this.lastIteration.get(runId) ?? -1);
        }
        for (const event of await catchUp({ runs, allRuns, lostAt })) this.publish(runEventTopic, event);
      },
    });
  }

  publish(routingKey: string, ...args: unknown[]): void {
    if (routingKey === auditEventTopic) this.audits.publish(args[0] as AuditProgressEvent);
    if (routingKey === packEventTopic) this.packs.publish(args[0] as PackStatusEvent);
    if (routingKey !== runEventTopic) return;
    const event = args[0] as RunEvent;
    if (event.type === 'iteration') {
      const last = this.lastIteration.get(event.runId);
      if (last !== undefined && event.iteration <= last) return;
      if (this.isWatched(event.runId)) this.lastIteration.set(event.runId, event.iteration);
    }
    for (const listener of this.listeners) {
      if (listener.runId === undefined || listener.runId === event.runId) listener.deliver(event);
    }
  }

  /** Events in arrival order; the iterator ends when the consumer returns (a client unsubscribes). */
  subscribe(routingKey: string, id?: unknown): AsyncIterableIterator<RunEvent | AuditProgressEvent | PackStatusEvent> {
    if (routingKey === packEventTopic) return this.packs.subscribe(id);
    return routingKey === auditEventTopic ? this.audits.subscribe(id) : this.subscribeRuns(routingKey, id);
  }

  /** The events of one run (or of every run), typed, for subscriptions that add to them. */
  runEvents(runId?: RunId): AsyncIterableIterator<RunEvent> {
    return this.subscribeRuns(runEventTopic, runId);
  }

  /** Progress of one audit, in arrival order. */
  auditEvents(auditId: string): AsyncIterableIterator<AuditProgressEvent> {
    return this.audits.subscribe(auditId);
  }

  /** Status and progress of one dataset export, in arrival order. */
  exportEvents(exportId: string): AsyncIterableIterator<ExportProgressEvent> {
    return this.exports.subscribe(exportId);
  }

  /** Status changes of one gallery made from images, in arrival order. */
  galleryEvents(galleryId: string): AsyncIterableIterator<GalleryStatusEvent> {
    return this.galleries.subscribe(galleryId);
  }

  /** Status changes of one model pack, in arrival order. */
  packEvents(packId: string): AsyncIterableIterator<PackStatusEvent> {
    return this.packs.subscribe(packId);
  }

  private subscribeRuns(routingKey: string, runId?: unknown): AsyncIterableIterator<RunEvent> {
    const queue: RunEvent[] = [];
    let wake: (() => void) | undefined;
    let done = routingKey !== runEventTopic;
    const listener: Listener = {
      runId: subscriptionSubject(runId) as RunId | undefined,
      deliver: (event) => {
        queue.push(event);
        wake?.();
      },
    };
    this.listeners.add(listener);
    const finish = (): IteratorResult<RunEvent> => {
      done = true;
      this.listeners.delete(listener);
      if (listener.runId !== undefined && !this.isWatched(listener.runId)) this.lastIteration.delete(listener.runId);
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
    this.listeners.clear();
    this.audits.clear();
    this.packs.clear();
    this.galleries.clear();
    this.exports.clear();
    await this.listener?.stop();
    this.listener = undefined;
  }

  private isWatched(runId: RunId): boolean {
    for (const listener of this.listeners) if (listener.runId === runId) return true;
    return false;
  }
}
