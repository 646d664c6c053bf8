import type { PrismaClient } from '../db/client.js';
import type * as db from '../../generated/prisma/client.js';
import { ExportStatus, ProvenanceSubjectKind } from '../../generated/prisma/enums.js';
import type { VerificationId } from '../ids/ids.js';
import { JobName, type JobQueue } from '../queue/jobQueue.js';
import type { ParameterProblem } from '../runs/parameterProblems.js';

/** A dataset verification re-derives at most this many samples: each costs a generator and a recognizer pass. */
export const maxVerifiedSamples = 10_000;

export type VerificationRequest =
  | { kind: typeof ProvenanceSubjectKind.SAMPLE; id: string }
  | { kind: typeof ProvenanceSubjectKind.DATASET; id: string; sampleCount: number };

export type RequestVerificationResult =
  { verification: db.Verification; problems?: undefined } | { verification?: undefined; problems: ParameterProblem[] };

/**
 * Records a verification of a sample (or identity), or of `sampleCount` members of a dataset spread
 * evenly over it, and queues the worker job that re-derives them. The row and its audit entry are
 * one transaction.
 */
export async function requestVerification(
  services: { prisma: PrismaClient; queue: JobQueue },
  request: VerificationRequest,
  apiKeyId: string | null,
): Promise<RequestVerificationResult> {
  const { prisma, queue } = services;
  let subjectKind: ProvenanceSubjectKind;
  let sampleCount = 1;
  if (request.kind === ProvenanceSubjectKind.DATASET) {
    const dataset = await prisma.dataset.findUnique({ where: { id: request.id }, select: { id: true } });
    if (!dataset) return { problems: [{ field: 'id', message: `no dataset ${request.id}` }] };
    const members = await prisma.datasetMember.count({ where: { datasetId: request.id } });
    if (!Number.isInteger(request.sampleCount) || request.sampleCount < 1 || request.sampleCount > maxVerifiedSamples) {
      return { problems: [{ field: 'sampleCount', message: `must be an integer from 1 to ${maxVerifiedSamples}` }] };
    }
    subjectKind = ProvenanceSubjectKind.DATASET;
    sampleCount = Math.min(request.sampleCount, members);
  } else {
    const [sample, identity] = await Promise.all([
      prisma.sample.findUnique({ where: { id: request.id }, select: { id: true } }),
      prisma.identity.findUnique({ where: { id: request.id }, select: { id: true } }),
    ]);
    if (!sample && !identity) return { problems: [{ field: 'id', message: `no sample or identity ${request.id}` }] };
    subjectKind = sample ? ProvenanceSubjectKind.SAMPLE : ProvenanceSubjectKind.IDENTITY;
  }
  const row = await prisma.$transaction(async (tx) => {
    const created = await tx.verification.create({
      data: { subjectKind, subjectId: request.id, sampleCount, createdById: apiKeyId },
    });
    await tx.auditLogEntry.create({
      data: {
        apiKeyId,
        operation: subjectKind === ProvenanceSubjectKind.DATASET ? 'verifyDataset' : 'verifySample',
        target: created.id,
        details: { subjectId: request.id, subjectKind, sampleCount },
      },
    });
    return created;
  });
  try {
    await queue.enqueue(JobName.verify, { verificationId: row.id as VerificationId }, row.id);
  } catch (error) {
    const failed = await prisma.verification.update({
      where: { id: row.id },
      data: {
        status: ExportStatus.FAILED,
        error: `could not be queued: ${(error as Error).message}`,
        finishedAt: new Date(),
      },
    });
    return { verification: failed };
  }
  return { verification: row };
}

/** Positions of `count` members spread evenly over a dataset of `total`, first and last included. */
export function spreadPositions(total: number, count: number): number[] {
  if (count >= total) return Array.from({ length: total }, (_, i) => i);
  if (count === 1) return [0];
  return Array.from({ length: count }, (_, i) => Math.round((i * (total - 1)) / (count - 1)));
}
