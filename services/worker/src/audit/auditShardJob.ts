import type { AuditId } from '../../../../src/core/ids/ids.js';
import type { JobName } from '../../../../src/core/queue/jobQueue.js';
import type { JobHandler } from '../jobs/JobHandler.js';
import { failAudit, isFinished, recordShard, type NewMatch } from '../../../../src/core/audits/auditLifecycle.js';
import { pairwiseEngine } from '../pairwise/engine.js';
import { searchTopK } from '../pairwise/topK.js';
import type { ExecutionProvider } from '../engine/EmbeddingModel.js';
import { galleryRows } from './galleryRows.js';
import { planShards } from './plan.js';
import { loadShardQueries, querySources } from './syntheticEmbeddings.js';
import { topSubjects } from './topSubjects.js';

/** Gallery rows per read from the database (the search re-blocks them into its tiles). */
const galleryChunkRows = 4096;

/**
 * One shard of an audit: its synthetic embeddings against every gallery row, streamed block by
 * block, keeping the exact top-k subjects of each embedding.
 */
export const auditShardJob: JobHandler<typeof JobName.auditShard> = async (job, services) => {
  const { auditId, shard } = job.data;
  const { prisma, pool } = services;
  const audit = await prisma.leakageAudit.findUnique({
    where: { id: auditId },
    include: { runs: true, gallery: true },
  });
  if (!audit || isFinished(audit.status)) return 'completed';
  if (!audit.gallery) {
    await failAudit(prisma, auditId as AuditId, 'the gallery was deleted while the audit ran');
    return 'completed';
  }
  const gallery = audit.gallery;
  const sources = await querySources(
    prisma,
    audit,
    audit.runs.map((run) => run.runId),
  );
  const segments = planShards(sources, audit.shardSize)[shard];
  if (!segments) throw new Error(`audit ${auditId} has no shard ${shard}`);
  const queries = await loadShardQueries(prisma, segments, gallery.embeddingDim);
  const rowsNeeded = audit.topK * gallery.maxRowsPerSubject;
  // The worker chose its provider at start-up; the search runs on the same one.
  const provider: ExecutionProvider = services.worker.executionProvider === 'cuda' ? 'cuda' : 'cpu';
  const engine = await pairwiseEngine(provider);
  const top = await searchTopK(engine, {
    queries: queries.embeddings,
    queryCount: queries.count,
    dim: gallery.embeddingDim,
    gallery: galleryRows(pool, gallery.id, gallery.embeddingDim, galleryChunkRows),
    k: rowsNeeded,
  });
  const wanted = [...new Set(top.indices)];
  const subjects = await prisma.gallerySubject.findMany({
    where: { galleryId: gallery.id, row: { in: wanted } },
    select: { id: true, row: true, label: true },
  });
  const byRow = new Map(subjects.map((subject) => [subject.row, subject]));
  const subjectAt = (row: number) => {
    const subject = byRow.get(row);
    if (!subject) throw new Error(`gallery ${gallery.id} lost row ${row} during the audit`);
    return subject;
  };
  const matches: NewMatch[] = topSubjects(top, (row) => subjectAt(row).label, audit.topK).map((match) => ({
    identityId: queries.identityIds[match.query]!,
    sampleId: queries.sampleIds[match.query]!,
    subjectId: subjectAt(match.row).id,
    rank: match.rank,
    similarity: match.similarity,
    distance: Math.acos(Math.min(1, Math.max(-1, match.similarity))),
    aboveThreshold: match.similarity > audit.threshold,
  }));
  await recordShard(prisma, auditId as AuditId, shard, matches);
  services.log.info({ auditId, shard, queries: queries.count }, 'audit shard done');
  return 'completed';
};
