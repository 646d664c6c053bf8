import type { PrismaClient } from '../../../../src/core/db/client.js';
import { bytesToFloat32 } from '../../../../src/core/db/floats.js';
import type { AuditScope } from '../../../../src/generated/prisma/enums.js';
import type { QueryKind, QuerySource, Segment } from './plan.js';

/** The synthetic side of one shard: embeddings and, for each, the identity (and sample) it belongs to. */
export interface ShardQueries {
  /** count × dim, as stored (the search compares directions). */
  embeddings: Float32Array;
  count: number;
  identityIds: string[];
  /** null for identities audited themselves. */
  sampleIds: Array<string | null>;
}

const kindsOf: Record<AuditScope, QueryKind[]> = {
  IDENTITIES: ['identity'],
  SAMPLES: ['sample'],
  BOTH: ['identity', 'sample'],
};

/** What an audit reads, run by run (in id order), identities before samples. */
export async function querySources(prisma: PrismaClient, runIds: readonly string[], scope: AuditScope): Promise<QuerySource[]> {
  const sources: QuerySource[] = [];
  for (const runId of [...runIds].sort()) {
    for (const kind of kindsOf[scope]) {
      const count = kind === 'identity' ? await prisma.identity.count({ where: { runId } }) : await prisma.sample.count({ where: { runId } });
      if (count > 0) sources.push({ kind, runId, count });
    }
  }
  return sources;
}

export async function loadShardQueries(prisma: PrismaClient, segments: readonly Segment[], dim: number): Promise<ShardQueries> {
  const total = segments.reduce((sum, segment) => sum + segment.count, 0);
  const values = new Float32Array(total * dim);
  const identityIds: string[] = [];
  const sampleIds: Array<string | null> = [];
  for (const segment of segments) {
    const rows =
      segment.kind === 'identity'
        ? (
            await prisma.identity.findMany({
              where: { runId: segment.runId },
              orderBy: { index: 'asc' },
              skip: segment.offset,
              take: segment.count,
              select: { id: true, embedding: true },
            })
          ).map((row) => ({ identityId: row.id, sampleId: null, embedding: row.embedding }))
        : (
            await prisma.sample.findMany({
              where: { runId: segment.runId },
              orderBy: [{ label: 'asc' }, { variation: 'asc' }, { id: 'asc' }],
              skip: segment.offset,
              take: segment.count,
              select: { id: true, identityId: true, embedding: true },
            })
          ).map((row) => ({ identityId: row.identityId, sampleId: row.id as string | null, embedding: row.embedding }));
    if (rows.length !== segment.count) throw new Error(`run ${segment.runId} changed while it was audited`);
    for (const row of rows) {
      const embedding = bytesToFloat32(row.embedding);
      if (embedding.length !== dim) throw new Error(`embedding of ${row.sampleId ?? row.identityId} has ${embedding.length} values, not ${dim}`);
      values.set(embedding, identityIds.length * dim);
      identityIds.push(row.identityId);
      sampleIds.push(row.sampleId);
    }
  }
  return { embeddings: values, count: total, identityIds, sampleIds };
}
