import { randomUUID } from 'node:crypto';
import { RunStatus } from '../../../../src/generated/prisma/enums.js';
import type { AuditId } from '../../../../src/core/ids/ids.js';
import { JobName } from '../../../../src/core/queue/jobQueue.js';
import type { JobHandler } from '../jobs/JobHandler.js';
import { failAudit, isFinished, markPlanned } from '../../../../src/core/audits/auditLifecycle.js';
import { planShards } from './plan.js';
import { querySources } from './syntheticEmbeddings.js';

/** How often an audit of runs still generating looks again. */
const waitSeconds = 2;

/**
 * Plans an audit: waits for its runs to succeed (an audit queued by rerunWithExclusion starts
 * before its run ends), cuts the synthetic embeddings into shards and queues one job per shard.
 */
export const auditPlanJob: JobHandler<typeof JobName.auditPlan> = async (job, services) => {
  const auditId = job.data.auditId as AuditId;
  const { prisma, queue } = services;
  const audit = await prisma.leakageAudit.findUnique({
    where: { id: auditId },
    include: { runs: { include: { run: true } } },
  });
  if (!audit || isFinished(audit.status)) return 'completed';
  const unfinished = audit.runs.filter(
    ({ run }) => run.status === RunStatus.QUEUED || run.status === RunStatus.RUNNING,
  );
  const failed = audit.runs.find(({ run }) => run.status === RunStatus.FAILED || run.status === RunStatus.CANCELLED);
  if (failed) {
    await failAudit(prisma, auditId, `run ${failed.runId} ended ${failed.run.status}; there is nothing to audit`);
    return 'completed';
  }
  if (unfinished.length > 0) {
    await queue.enqueue(JobName.auditPlan, { auditId }, `${auditId}:plan:${randomUUID()}`, waitSeconds);
    return 'completed';
  }
  const sources = await querySources(
    prisma,
    audit,
    audit.runs.map((run) => run.runId),
  );
  const shards = planShards(sources, audit.shardSize);
  if (shards.length === 0) {
    await failAudit(prisma, auditId, `the runs hold no ${audit.scope.toLowerCase()} to audit`);
    return 'completed';
  }
  // A planner that died after marking the audit planned is retried: the shards are queued again,
  // and a shard that already wrote its matches changes nothing when it runs twice.
  if (audit.shardCount === 0)
    await markPlanned(
      prisma,
      auditId,
      sources.reduce((sum, source) => sum + source.count, 0),
      shards.length,
    );
  for (let shard = 0; shard < shards.length; shard++) {
    await queue.enqueue(JobName.auditShard, { auditId, shard }, `${auditId}:${shard}`);
  }
  services.log.info({ auditId, shards: shards.length }, 'audit planned');
  return 'completed';
};
