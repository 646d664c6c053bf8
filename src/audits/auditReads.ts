import { decodeAuditSummary, type AuditSummary } from '../core/audits/auditSummary.js';
import type { PrismaClient } from '../core/db/client.js';
import type * as db from '../generated/prisma/client.js';
import type { AuditId, IdentityId } from '../core/ids/ids.js';
import { keysetPage, type PageRequest } from '../graphql/connections.js';

export type MatchRow = db.LeakageMatch & {
  subject: db.GallerySubject | null;
  identity: Pick<db.Identity, 'imageKey'>;
  sample: Pick<db.Sample, 'imageKey'> | null;
};

export type AuditRow = db.LeakageAudit & { runs: Array<{ runId: string }> };

const matchInclude = {
  subject: true,
  identity: { select: { imageKey: true } },
  sample: { select: { imageKey: true } },
} as const;

/** The reads behind the audit queries, in one place. */
function auditsOf(runId: string | undefined) {
  return runId ? { runs: { some: { runId } } } : {};
}

export const auditReads = {
  audit(prisma: PrismaClient, id: AuditId): Promise<AuditRow | null> {
    return prisma.leakageAudit.findUnique({ where: { id }, include: { runs: { select: { runId: true } } } });
  },

  /** One keyset page of audits (newest first), of one run when runId is given. */
  async auditPage(prisma: PrismaClient, runId: string | undefined, request: PageRequest): Promise<AuditRow[]> {
    return prisma.leakageAudit.findMany({
      ...keysetPage(request, auditsOf(runId), 'desc'),
      take: request.limit,
      include: { runs: { select: { runId: true } } },
    });
  },

  /** How many audits there are, of one run when runId is given. */
  auditCount(prisma: PrismaClient, runId: string | undefined): Promise<number> {
    return prisma.leakageAudit.count({ where: auditsOf(runId) });
  },

  /**
   * One keyset page of matches in connection order, by similarity best first, then id; a backward
   * page reads the other way from its cursor, a [similarity, id] pair.
   */
  matchPage(
    prisma: PrismaClient,
    auditId: string,
    filter: { aboveThresholdOnly: boolean; identityId?: IdentityId },
    request: PageRequest,
  ): Promise<MatchRow[]> {
    const forward = request.direction === 'forward';
    const cursor = request.cursor as [number, string] | undefined;
    const beyond = forward ? 'lt' : 'gt';
    const tieBreak = forward ? 'gt' : 'lt';
    return prisma.leakageMatch.findMany({
      where: {
        auditId,
        ...(filter.aboveThresholdOnly ? { aboveThreshold: true } : {}),
        ...(filter.identityId ? { identityId: filter.identityId } : {}),
        ...(cursor
          ? {
              OR: [{ similarity: { [beyond]: cursor[0] } }, { similarity: cursor[0], id: { [tieBreak]: cursor[1] } }],
            }
          : {}),
      },
      orderBy: forward ? [{ similarity: 'desc' }, { id: 'asc' }] : [{ similarity: 'asc' }, { id: 'desc' }],
      take: request.limit,
      include: matchInclude,
    });
  },

  matchCount(
    prisma: PrismaClient,
    auditId: string,
    filter: { aboveThresholdOnly: boolean; identityId?: IdentityId },
  ): Promise<number> {
    return prisma.leakageMatch.count({
      where: {
        auditId,
        ...(filter.aboveThresholdOnly ? { aboveThreshold: true } : {}),
        ...(filter.identityId ? { identityId: filter.identityId } : {}),
      },
    });
  },
};

export function summaryOf(audit: db.LeakageAudit): AuditSummary | null {
  return decodeAuditSummary(audit.summary);
}
