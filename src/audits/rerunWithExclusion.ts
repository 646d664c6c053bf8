import { AuditStatus, RunKind, RunStatus } from '../generated/prisma/enums.js';
import type * as db from '../generated/prisma/client.js';
import type { AuditId, RunId } from '../core/ids/ids.js';
import { auditEntry, type GraphQLContext } from '../graphql/context.js';
import { badUserInput, conflict, notFound } from '../graphql/errors.js';
import { JobName } from '../core/queue/jobQueue.js';
import { jsonColumn } from '../core/db/json.js';
import { decodeLangevinRunParameters, type LangevinRunParameters } from '../core/runs/langevinRunParameters.js';
import { packNotReady } from '../core/packs/packLifecycle.js';
import { failOrCancel } from '../core/runs/runLifecycle.js';
import { checkRecognizer, createAudit } from './startAudit.js';

/**
 * The paper's loop: the audited Langevin run again, same parameters and seed, with the audit's
 * gallery as exclusion set at `exclusionDistance` (c0, radians). The run names the audited run as
 * parent and the audit as its source; a follow-up audit with the same gallery, scope, top-k and
 * threshold is queued at once and starts when the run succeeds.
 */
export async function rerunWithExclusion(
  context: GraphQLContext,
  auditId: AuditId,
  exclusionDistance: number,
): Promise<{ run: db.Run; audit: db.LeakageAudit }> {
  const { prisma, queue } = context.services;
  if (!(Number.isFinite(exclusionDistance) && exclusionDistance > 0 && exclusionDistance <= Math.PI)) {
    throw badUserInput([{ field: 'exclusionDistance', message: 'must be an angle in (0, π] radians' }]);
  }
  const audit = await prisma.leakageAudit.findUnique({
    where: { id: auditId },
    include: { runs: { include: { run: { include: { modelPack: true } } } }, gallery: true },
  });
  if (!audit) throw notFound('leakage audit', auditId);
  if (audit.status !== AuditStatus.SUCCEEDED)
    throw conflict(`audit ${auditId} is ${audit.status}; only a finished audit can be answered`);
  if (!audit.gallery) throw conflict(`the gallery of audit ${auditId} was deleted`);
  if (audit.runs.length !== 1 || audit.runs[0]!.run.kind !== RunKind.LANGEVIN) {
    throw conflict(`audit ${auditId} covers ${audit.runs.length} runs; the loop reruns an audit of one Langevin run`);
  }
  const source = audit.runs[0]!.run;
  const problems: Parameters<typeof checkRecognizer>[3] = [];
  checkRecognizer(audit.gallery, source, 'auditId', problems);
  const notReady = packNotReady(source.modelPack);
  if (notReady) problems.push({ field: 'auditId', message: `the audited run's ${notReady}` });
  if (problems.length > 0) throw badUserInput(problems);
  const previous = decodeLangevinRunParameters(source.parameters);
  const parameters: LangevinRunParameters = {
    ...previous,
    exclusionGalleryId: audit.gallery.id,
    langevin: { ...previous.langevin, exclusionDistance },
  };
  const run = await prisma.$transaction(async (tx) => {
    const row = await tx.run.create({
      data: {
        kind: RunKind.LANGEVIN,
        parameters: jsonColumn(parameters),
        seed: source.seed,
        modelPackId: source.modelPackId,
        parentRunId: source.id,
        exclusionGalleryId: audit.gallery!.id,
        sourceAuditId: audit.id,
        totalIterations: source.totalIterations,
        createdById: context.principal.keyId,
      },
    });
    await tx.auditLogEntry.create({
      data: auditEntry(context, 'rerunWithExclusion', row.id, { auditId, sourceRunId: source.id, exclusionDistance }),
    });
    return row;
  });
  try {
    await queue.enqueueRun(JobName.langevin, run.id as RunId);
  } catch (error) {
    await failOrCancel(prisma, run.id as RunId, RunStatus.FAILED, {
      error: `could not be queued: ${(error as Error).message}`,
    });
    throw conflict(`run ${run.id} could not be queued`);
  }
  const followUp = await createAudit(
    context,
    {
      gallery: audit.gallery,
      runIds: [run.id as RunId],
      scope: audit.scope,
      topK: audit.topK,
      shardSize: audit.shardSize,
      threshold: {
        threshold: audit.threshold,
        thresholdSource: audit.thresholdSource,
        targetFalseMatchRate: audit.targetFalseMatchRate,
        falseMatchRate: audit.falseMatchRate,
      },
      followsAuditId: audit.id as AuditId,
    },
    'startLeakageAudit',
  );
  return { run, audit: followUp };
}
