import { auditReads } from '../audits/auditReads.js';
import type { AuditId, GalleryId } from '../core/ids/ids.js';
import { auditEntry, type GraphQLContext } from './context.js';
import { toAudit, toGallery } from './mappers.js';
import type { Gallery } from './types/Gallery.js';
import type { LeakageAudit } from './types/LeakageAudit.js';

/*
 * Galleries and the audits that show their subjects are biometric data: every read of one is in the
 * audit log, whether it came through its own query or through node(id:). Callers check the role first.
 */

export async function readGallery(context: GraphQLContext, id: GalleryId): Promise<Gallery | null> {
  const { prisma } = context.services;
  const row = await prisma.gallery.findUnique({ where: { id }, include: { _count: { select: { subjects: true } } } });
  await prisma.auditLogEntry.create({ data: auditEntry(context, 'readGallery', id, { found: row !== null }) });
  return row ? toGallery(row, row._count.subjects) : null;
}

export async function readLeakageAudit(context: GraphQLContext, id: AuditId): Promise<LeakageAudit | null> {
  const { prisma } = context.services;
  const row = await auditReads.audit(prisma, id);
  await prisma.auditLogEntry.create({ data: auditEntry(context, 'readLeakageAudit', id, { found: row !== null }) });
  return row ? toAudit(row) : null;
}
