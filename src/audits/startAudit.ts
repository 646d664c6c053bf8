import { AuditScope, GalleryStatus, RunStatus } from '../generated/prisma/enums.js';
import type * as db from '../generated/prisma/client.js';
import type { AuditId, DatasetId, GalleryId, RunId } from '../core/ids/ids.js';
import { decodeImpostors } from '../core/audits/impostors.js';
import { recognizerDigestOf } from '../galleries/recognizer.js';
import { checkId } from '../graphql/args.js';
import { auditEntry, type GraphQLContext } from '../graphql/context.js';
import { badUserInput, type FieldProblem } from '../graphql/errors.js';
import type { LeakageAuditInput } from '../graphql/inputs/LeakageAuditInput.js';
import { JobName } from '../core/queue/jobQueue.js';
import { resolveThreshold, type ResolvedThreshold } from './threshold.js';

const maxRuns = 1000;
const maxTopK = 100;
const defaultShardSize = 4096;
const maxShardSize = 100_000;

/** Everything an audit row needs besides its id. */
export interface AuditPlan {
  gallery: db.Gallery;
  runIds: RunId[];
  datasetId?: DatasetId;
  scope: AuditScope;
  topK: number;
  shardSize: number;
  threshold: ResolvedThreshold;
  followsAuditId?: AuditId;
}

/** Checks an audit request completely, writes the audit and queues its planning job. */
export async function startLeakageAudit(context: GraphQLContext, input: LeakageAuditInput): Promise<db.LeakageAudit> {
  const { prisma } = context.services;
  const problems: FieldProblem[] = [];
  const galleryId = checkId<GalleryId>(input.galleryId, 'input.galleryId', problems);
  const { runIds, datasetId } = await auditedRuns(context, input, problems);
  if (!Number.isInteger(input.topK) || input.topK < 1 || input.topK > maxTopK)
    problems.push({ field: 'input.topK', message: `must be an integer from 1 to ${maxTopK}` });
  const shardSize = input.shardSize ?? defaultShardSize;
  if (!Number.isInteger(shardSize) || shardSize < 1 || shardSize > maxShardSize) {
    problems.push({ field: 'input.shardSize', message: `must be an integer from 1 to ${maxShardSize}` });
  }
  const gallery = galleryId ? await prisma.gallery.findUnique({ where: { id: galleryId } }) : null;
  if (galleryId && !gallery) problems.push({ field: 'input.galleryId', message: `no gallery ${galleryId}` });
  else if (gallery && gallery.status !== GalleryStatus.READY)
    problems.push({ field: 'input.galleryId', message: `gallery is ${gallery.status}, not READY` });
  const runs = await prisma.run.findMany({ where: { id: { in: runIds } }, include: { modelPack: true } });
  for (const runId of runIds) {
    const run = runs.find((r) => r.id === runId);
    if (!run) problems.push({ field: 'input.runIds', message: `no run ${runId}` });
    else if (run.status === RunStatus.FAILED || run.status === RunStatus.CANCELLED)
      problems.push({ field: 'input.runIds', message: `run ${runId} is ${run.status}` });
    else if (gallery) checkRecognizer(gallery, run, 'input.galleryId', problems);
  }
  const threshold = gallery
    ? resolveThreshold(input.threshold, decodeImpostors(gallery.impostorSimilarities), 'input.threshold', problems)
    : undefined;
  if (problems.length > 0 || !gallery || !threshold) throw badUserInput(problems);
  return createAudit(
    context,
    { gallery, runIds, datasetId, scope: input.scope, topK: input.topK, shardSize, threshold },
    'startLeakageAudit',
  );
}

/** The runs an audit covers: those listed, or those a dataset was made from. */
async function auditedRuns(
  context: GraphQLContext,
  input: LeakageAuditInput,
  problems: FieldProblem[],
): Promise<{ runIds: RunId[]; datasetId?: DatasetId }> {
  const hasRuns = input.runIds !== undefined && input.runIds !== null;
  const hasDataset = input.datasetId !== undefined && input.datasetId !== null;
  if (hasRuns === hasDataset) {
    problems.push({ field: 'input.runIds', message: 'give runIds or datasetId, one of them' });
    return { runIds: [] };
  }
  if (hasDataset) {
    const datasetId = checkId<DatasetId>(input.datasetId!, 'input.datasetId', problems);
    if (!datasetId) return { runIds: [] };
    const dataset = await context.services.prisma.dataset.findUnique({
      where: { id: datasetId },
      include: { runs: true },
    });
    if (!dataset) {
      problems.push({ field: 'input.datasetId', message: `no dataset ${datasetId}` });
      return { runIds: [] };
    }
    return { runIds: dataset.runs.map((run) => run.runId as RunId), datasetId };
  }
  const listed = input.runIds!;
  if (listed.length === 0 || listed.length > maxRuns)
    problems.push({ field: 'input.runIds', message: `give 1 to ${maxRuns} runs` });
  return {
    runIds: [
      ...new Set(
        listed.map((id, i) => checkId<RunId>(id, `input.runIds[${i}]`, problems)).filter((id) => id !== undefined),
      ),
    ],
  };
}

/** A run made with another recognizer than the gallery's cannot be compared with it: both are named. */
export function checkRecognizer(
  gallery: db.Gallery,
  run: db.Run & { modelPack: db.ModelPack },
  field: string,
  problems: FieldProblem[],
): void {
  const digest = recognizerDigestOf(run.modelPack.manifest);
  if (digest !== gallery.recognizerDigest) {
    problems.push({
      field,
      message:
        `gallery ${gallery.id} was embedded with recognizer ${gallery.recognizerDigest}, run ${run.id} uses ` +
        `recognizer ${digest ?? 'unknown'}`,
    });
  } else if (run.modelPack.embeddingDim !== gallery.embeddingDim) {
    problems.push({
      field,
      message: `gallery embeddings have dimension ${gallery.embeddingDim}, run ${run.id} ${run.modelPack.embeddingDim}`,
    });
  }
}

export async function createAudit(
  context: GraphQLContext,
  plan: AuditPlan,
  operation: string,
): Promise<db.LeakageAudit> {
  const { prisma, queue } = context.services;
  const audit = await prisma.$transaction(async (tx) => {
    const row = await tx.leakageAudit.create({
      data: {
        galleryId: plan.gallery.id,
        datasetId: plan.datasetId ?? null,
        galleryName: plan.gallery.name,
        galleryDigest: plan.gallery.digest,
        recognizerDigest: plan.gallery.recognizerDigest,
        scope: plan.scope,
        topK: plan.topK,
        shardSize: plan.shardSize,
        ...plan.threshold,
        followsAuditId: plan.followsAuditId ?? null,
        createdById: context.principal.keyId,
        runs: { create: plan.runIds.map((runId) => ({ runId })) },
      },
    });
    await tx.auditLogEntry.create({
      data: auditEntry(context, operation, row.id, {
        galleryId: plan.gallery.id,
        datasetId: plan.datasetId ?? null,
        runIds: plan.runIds,
        scope: plan.scope,
        topK: plan.topK,
        ...plan.threshold,
      }),
    });
    return row;
  });
  await queue.enqueue(JobName.auditPlan, { auditId: audit.id as AuditId }, `${audit.id}:plan`);
  return audit;
}
