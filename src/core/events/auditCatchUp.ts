import type { PrismaClient } from '../db/client.js';
import type { AuditId } from '../ids/ids.js';
import type { AuditCatchUp } from './eventHub.js';

/**
 * After an outage, each watched audit's current row stands for the events missed: progress is a
 * count, so its latest value says everything the lost ones did.
 */
export function auditCatchUpFrom(prisma: PrismaClient): AuditCatchUp {
  return async (auditIds) => {
    const rows = await prisma.leakageAudit.findMany({ where: { id: { in: auditIds } } });
    return rows.map((row) => ({
      auditId: row.id as AuditId,
      status: row.status,
      shardsDone: row.shardsDone,
      shardCount: row.shardCount,
      error: row.error,
    }));
  };
}
