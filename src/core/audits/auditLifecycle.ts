import { auditEventChannel, type AuditProgressEvent } from '../events/auditEvents.js';
import type { PrismaClient } from '../db/client.js';
import { jsonColumn } from '../db/json.js';
import { AuditStatus } from '../../generated/prisma/enums.js';
import type { AuditId } from '../ids/ids.js';
import { auditSummary } from './summarizeAudit.js';

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** One match row as a shard writes it. */
export interface NewMatch {
  identityId: string;
  sampleId: string | null;
  subjectId: string;
  rank: number;
  similarity: number;
  distance: number;
  aboveThreshold: boolean;
}

export function isFinished(status: AuditStatus): boolean {
  return status === AuditStatus.SUCCEEDED || status === AuditStatus.FAILED;
}

async function notify(db: Pick<Tx, '$executeRaw'>, event: AuditProgressEvent): Promise<void> {
  await db.$executeRaw`SELECT pg_notify(${auditEventChannel}, ${JSON.stringify(event)})`;
}

export async function markPlanned(
  prisma: PrismaClient,
  auditId: AuditId,
  queryCount: number,
  shardCount: number,
): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const audit = await tx.leakageAudit.update({
      where: { id: auditId },
      data: { status: AuditStatus.RUNNING, queryCount, shardCount, shardsDone: 0, startedAt: new Date() },
    });
    await notify(tx, { auditId, status: audit.status, shardsDone: 0, shardCount, error: null });
  });
}

export async function failAudit(prisma: PrismaClient, auditId: AuditId, error: string): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const updated = await tx.leakageAudit.updateMany({
      where: { id: auditId, status: { in: [AuditStatus.QUEUED, AuditStatus.RUNNING] } },
      data: { status: AuditStatus.FAILED, error, finishedAt: new Date() },
    });
    if (updated.count === 0) return;
    const audit = await tx.leakageAudit.findUniqueOrThrow({ where: { id: auditId } });
    await notify(tx, {
      auditId,
      status: audit.status,
      shardsDone: audit.shardsDone,
      shardCount: audit.shardCount,
      error,
    });
  });
}

/**
 * Writes one shard's matches and counts it done, once: a retried shard whose first attempt
 * committed finds its rows and changes nothing. The shard that completes the count writes the
 * summary in the same transaction, so the audit is SUCCEEDED exactly when every match is in.
 */
export async function recordShard(
  prisma: PrismaClient,
  auditId: AuditId,
  shard: number,
  matches: readonly NewMatch[],
): Promise<void> {
  await prisma.$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM "LeakageAudit" WHERE "id" = ${auditId}::uuid FOR UPDATE`;
      const audit = await tx.leakageAudit.findUniqueOrThrow({ where: { id: auditId } });
      if (audit.status !== AuditStatus.RUNNING) return;
      if ((await tx.leakageMatch.count({ where: { auditId, shard } })) > 0) return;
      await tx.leakageMatch.createMany({ data: matches.map((match) => ({ ...match, auditId, shard })) });
      const shardsDone = audit.shardsDone + 1;
      const done = shardsDone === audit.shardCount;
      const summary = done ? await auditSummary(tx, audit) : undefined;
      const updated = await tx.leakageAudit.update({
        where: { id: auditId },
        data: {
          shardsDone,
          ...(done ? { status: AuditStatus.SUCCEEDED, finishedAt: new Date(), summary: jsonColumn(summary) } : {}),
        },
      });
      await notify(tx, { auditId, status: updated.status, shardsDone, shardCount: updated.shardCount, error: null });
    },
    { timeout: 120_000 },
  );
}
