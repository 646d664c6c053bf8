import type { PrismaClient } from '../db/client.js';
import type * as db from '../../generated/prisma/client.js';
import { ExportStatus, type ProvenanceFormat } from '../../generated/prisma/enums.js';
import type { ProvenanceExportId } from '../ids/ids.js';
import { JobName, type JobQueue } from '../queue/jobQueue.js';
import { resolveProvenanceSubject } from './provenanceDocument.js';

/**
 * Records a provenance export of a subject and queues the worker job that streams it to the object
 * store; the subject must exist (ProvenanceSubjectNotFoundError otherwise). The row and its audit
 * entry are one transaction; a job that cannot be queued leaves the row FAILED, saying so.
 */
export async function requestProvenanceExport(
  services: { prisma: PrismaClient; queue: JobQueue },
  input: { id: string; format: ProvenanceFormat },
  apiKeyId: string | null,
): Promise<db.ProvenanceExport> {
  const { prisma, queue } = services;
  const subject = await resolveProvenanceSubject(prisma, input.id);
  const row = await prisma.$transaction(async (tx) => {
    const created = await tx.provenanceExport.create({
      data: { subjectId: subject.id, subjectKind: subject.kind, format: input.format, createdById: apiKeyId },
    });
    await tx.auditLogEntry.create({
      data: {
        apiKeyId,
        operation: 'requestProvenanceExport',
        target: created.id,
        details: { subjectId: subject.id, subjectKind: subject.kind, format: input.format },
      },
    });
    return created;
  });
  try {
    await queue.enqueue(JobName.provenanceExport, { exportId: row.id as ProvenanceExportId }, row.id);
  } catch (error) {
    return prisma.provenanceExport.update({
      where: { id: row.id },
      data: {
        status: ExportStatus.FAILED,
        error: `could not be queued: ${(error as Error).message}`,
        finishedAt: new Date(),
      },
    });
  }
  return row;
}
