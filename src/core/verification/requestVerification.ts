import type { PrismaClient } from '../db/client.js';
import type * as db from '../../generated/prisma/client.js';
import { ExportStatus, ProvenanceSubjectKind, RunStatus } from '../../generated/prisma/enums.js';
import type { VerificationId } from '../ids/ids.js';
import { JobName, type JobQueue } from '../queue/jobQueue.js';
import type { ParameterProblem } from '../runs/parameterProblems.js';
import { runTrajectory } from './trajectory.js';

/** A dataset verification re-derives at most this many samples: each costs a generator and a recognizer pass. */
export const maxVerifiedSamples = 10_000;

/**
 * A verification re-runs at most this many trajectory segments per run: each costs up to a
 * checkpoint interval of the whole run (every identity, or every variation of a shard).
 */
export const maxVerifiedSegments = 1_000;

export type VerificationRequest =
  | { kind: typeof ProvenanceSubjectKind.SAMPLE; id: string }
  | { kind: typeof ProvenanceSubjectKind.RUN; id: string; segments: number | null }
  | { kind: typeof ProvenanceSubjectKind.DATASET; id: string; sampleCount: number; segments: number };

function segmentProblem(segments: number, min: number): ParameterProblem | undefined {
  if (Number.isInteger(segments) && segments >= min && segments <= maxVerifiedSegments) return undefined;
  return { field: 'segments', message: `must be an integer from ${min} to ${maxVerifiedSegments}` };
}

export type RequestVerificationResult =
  { verification: db.Verification; problems?: undefined } | { verification?: undefined; problems: ParameterProblem[] };

/**
 * Records a verification of a sample (or identity), of `segments` of a succeeded run's trajectory
 * (all of them when null), or of `sampleCount` members of a dataset spread evenly over it and
 * `segments` of each of its runs, and queues the worker job that re-derives them. The row and its
 * audit entry are one transaction.
 */
export async function requestVerification(
  services: { prisma: PrismaClient; queue: JobQueue },
  request: VerificationRequest,
  apiKeyId: string | null,
): Promise<RequestVerificationResult> {
  const { prisma, queue } = services;
  let subjectKind: ProvenanceSubjectKind;
  let sampleCount = 1;
  let segments = 0;
  if (request.kind === ProvenanceSubjectKind.DATASET) {
    const dataset = await prisma.dataset.findUnique({ where: { id: request.id }, select: { id: true } });
    if (!dataset) return { problems: [{ field: 'id', message: `no dataset ${request.id}` }] };
    const members = await prisma.datasetMember.count({ where: { datasetId: request.id } });
    if (!Number.isInteger(request.sampleCount) || request.sampleCount < 1 || request.sampleCount > maxVerifiedSamples) {
      return { problems: [{ field: 'sampleCount', message: `must be an integer from 1 to ${maxVerifiedSamples}` }] };
    }
    const problem = segmentProblem(request.segments, 0);
    if (problem) return { problems: [problem] };
    subjectKind = ProvenanceSubjectKind.DATASET;
    sampleCount = Math.min(request.sampleCount, members);
    segments = request.segments;
  } else if (request.kind === ProvenanceSubjectKind.RUN) {
    const run = await prisma.run.findUnique({ where: { id: request.id } });
    if (!run) return { problems: [{ field: 'id', message: `no run ${request.id}` }] };
    if (run.status !== RunStatus.SUCCEEDED) {
      return {
        problems: [{ field: 'id', message: `run ${run.id} is ${run.status}; only a SUCCEEDED run can be verified` }],
      };
    }
    const problem = request.segments === null ? undefined : segmentProblem(request.segments, 1);
    if (problem) return { problems: [problem] };
    const all = (await runTrajectory(prisma, run)).length;
    subjectKind = ProvenanceSubjectKind.RUN;
    sampleCount = 0;
    segments = Math.min(request.segments ?? all, all, maxVerifiedSegments);
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
      data: { subjectKind, subjectId: request.id, sampleCount, segments, createdById: apiKeyId },
    });
    await tx.auditLogEntry.create({
      data: {
        apiKeyId,
        operation: operations[request.kind],
        target: created.id,
        details: { subjectId: request.id, subjectKind, sampleCount, segments },
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

const operations = {
  [ProvenanceSubjectKind.SAMPLE]: 'verifySample',
  [ProvenanceSubjectKind.RUN]: 'verifyRun',
  [ProvenanceSubjectKind.DATASET]: 'verifyDataset',
} as const;

/** Positions of `count` members spread evenly over a dataset of `total`, first and last included. */
export function spreadPositions(total: number, count: number): number[] {
  if (count >= total) return Array.from({ length: total }, (_, i) => i);
  if (count === 1) return [0];
  return Array.from({ length: count }, (_, i) => Math.round((i * (total - 1)) / (count - 1)));
}
