import type { PrismaClient } from '../db/client.js';
import type * as db from '../../generated/prisma/client.js';
import { ExportStatus, ProvenanceSubjectKind, RunStatus } from '../../generated/prisma/enums.js';
import type { VerificationId } from '../ids/ids.js';
import { JobName, verifyQueueFor, type JobQueue, type VerifyJobName } from '../queue/jobQueue.js';
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
  /** The runs whose outputs the job re-derives: their execution provider picks the queue. */
  let runIds: string[];
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
    // A Dispersion run brings its parent's identities into the dataset: their run counts too.
    const runs = await prisma.datasetRun.findMany({
      where: { datasetId: request.id },
      select: { run: { select: { id: true, parentRunId: true } } },
    });
    runIds = runs.flatMap(({ run }) => (run.parentRunId ? [run.id, run.parentRunId] : [run.id]));
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
    runIds = [run.id];
    segments = Math.min(request.segments ?? all, all, maxVerifiedSegments);
  } else {
    const [sample, identity] = await Promise.all([
      prisma.sample.findUnique({ where: { id: request.id }, select: { runId: true } }),
      prisma.identity.findUnique({ where: { id: request.id }, select: { runId: true } }),
    ]);
    const subject = sample ?? identity;
    if (!subject) return { problems: [{ field: 'id', message: `no sample or identity ${request.id}` }] };
    subjectKind = sample ? ProvenanceSubjectKind.SAMPLE : ProvenanceSubjectKind.IDENTITY;
    runIds = [subject.runId];
  }
  const queueName = await queueFor(prisma, runIds);
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
    await queue.enqueue(queueName, { verificationId: row.id as VerificationId }, row.id);
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

/**
 * Outputs re-derive bit for bit only on the execution provider that made them: a verification of
 * runs of one known provider waits for a worker on it (docs/provenance.md, "Execution provider").
 * Runs of several providers go to any worker, which fails the job at once naming the one it needs.
 */
async function queueFor(prisma: PrismaClient, runIds: string[]): Promise<VerifyJobName> {
  const runs = await prisma.run.findMany({ where: { id: { in: runIds } }, select: { executionProvider: true } });
  const providers = new Set(runs.map((run) => run.executionProvider));
  return providers.size === 1 ? verifyQueueFor([...providers][0]) : JobName.verify;
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
