import { Permission } from '../auth/roles.js';
import type { AuditProgressEvent } from '../core/events/auditEvents.js';
import type { AuditId } from '../core/ids/ids.js';
import { AuditStatus } from '../generated/prisma/enums.js';
import { authorize, type GraphQLContext } from '../graphql/context.js';
import { notFound } from '../graphql/errors.js';

const finished = (status: AuditStatus) => status === AuditStatus.SUCCEEDED || status === AuditStatus.FAILED;

/**
 * Whether an event says nothing the subscriber has not had: sent before the row was read, or read
 * back again after the hub's connection came back. An audit only moves forward (status, then shards done).
 */
function covered(event: AuditProgressEvent, last: AuditProgressEvent): boolean {
  if (finished(last.status)) return true;
  if (event.shardsDone !== last.shardsDone) return event.shardsDone < last.shardsDone;
  return event.status === last.status && event.shardCount === last.shardCount;
}

/**
 * What an `auditProgress` subscriber receives: the audit as it is now, then each later change in
 * order, completing after SUCCEEDED or FAILED (at once for a finished audit). A client that lost
 * its connection subscribes again and starts from the current state, as `runProgress` does.
 * Listening starts before the row is read, so no change falls between the two.
 */
export async function auditProgressStream(
  context: GraphQLContext,
  auditId: AuditId,
): Promise<AsyncIterable<AuditProgressEvent>> {
  authorize(context, Permission.Audit);
  const { prisma, events } = context.services;
  const live = events.auditEvents(auditId);
  let snapshot: AuditProgressEvent;
  try {
    const row = await prisma.leakageAudit.findUnique({ where: { id: auditId } });
    if (!row) throw notFound('leakage audit', auditId);
    snapshot = {
      auditId,
      status: row.status,
      shardsDone: row.shardsDone,
      shardCount: row.shardCount,
      error: row.error,
    };
  } catch (error) {
    await live.return?.();
    throw error;
  }
  async function* stream(): AsyncGenerator<AuditProgressEvent> {
    try {
      yield snapshot;
      if (finished(snapshot.status)) return;
      let last = snapshot;
      for await (const event of live) {
        if (covered(event, last)) continue;
        last = event;
        yield event;
        if (finished(event.status)) return;
      }
    } finally {
      await live.return?.();
    }
  }
  return stream();
}
