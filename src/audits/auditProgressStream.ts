import { Permission } from '../auth/roles.js';
import type { AuditProgressEvent } from '../core/events/auditEvents.js';
import { currentThenLive } from '../core/events/currentThenLive.js';
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
 */
export async function auditProgressStream(
  context: GraphQLContext,
  auditId: AuditId,
): Promise<AsyncIterable<AuditProgressEvent>> {
  authorize(context, Permission.Audit);
  const { prisma, events } = context.services;
  return currentThenLive(events.auditEvents(auditId), {
    async read() {
      const row = await prisma.leakageAudit.findUnique({ where: { id: auditId } });
      if (!row) throw notFound('leakage audit', auditId);
      return { auditId, status: row.status, shardsDone: row.shardsDone, shardCount: row.shardCount, error: row.error };
    },
    finished: (current) => finished(current.status),
    next: (event, last) => (covered(event, last) ? undefined : { value: event, final: finished(event.status) }),
  });
}
