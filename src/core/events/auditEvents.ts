import type { AuditId } from '../ids/ids.js';
import type { AuditStatus } from '../../generated/prisma/enums.js';

/** Audit progress travels on its own channel, beside run events. */
export const auditEventChannel = 'brownian_audit_events';

export interface AuditProgressEvent {
  auditId: AuditId;
  status: AuditStatus;
  shardsDone: number;
  shardCount: number;
  error: string | null;
}

/**
 * Subscribers of audit progress, each narrowed to one audit. Events a lost connection missed are
 * not replayed: the audit row holds the same counts, so a client re-reads it after a gap.
 */
export class AuditEventFeed {
  private readonly listeners = new Set<{ auditId: unknown; deliver(event: AuditProgressEvent): void }>();

  publish(event: AuditProgressEvent): void {
    for (const listener of this.listeners) if (listener.auditId === undefined || listener.auditId === event.auditId) listener.deliver(event);
  }

  subscribe(auditId: unknown): AsyncIterableIterator<AuditProgressEvent> {
    const queue: AuditProgressEvent[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const listener = {
      auditId: auditId === undefined ? undefined : String(auditId),
      deliver: (event: AuditProgressEvent) => {
        queue.push(event);
        wake?.();
      },
    };
    this.listeners.add(listener);
    const finish = (): IteratorResult<AuditProgressEvent> => {
      done = true;
      this.listeners.delete(listener);
      wake?.();
      return { value: undefined, done: true };
    };
    const iterator: AsyncIterableIterator<AuditProgressEvent> = {
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

  clear(): void {
    this.listeners.clear();
  }
}
