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

interface QueryRow {
  identityId: string;
  sampleId: string | null;
  embedding: Uint8Array;
}

const kindsOf: Record<AuditScope, QueryKind[]> = {
  IDENTITIES: ['identity'],
  SAMPLES: ['sample'],
  BOTH: ['identity', 'sample'],
};

/**
 * What an audit reads: a dataset's members (reference identities, then samples, in position
 * order), or run by run in id order, identities before samples.
 */
export async function querySources(
  prisma: PrismaClient,
  audit: { datasetId: string | null; scope: AuditScope },
  runIds: readonly string[],
): Promise<QuerySource[]> {
  const sources: QuerySource[] = [];
  const { datasetId } = audit;
  if (datasetId) {
    for (const kind of kindsOf[audit.scope]) {
      const count = await prisma.datasetMember.count({
        where: { datasetId, sampleId: kind === 'identity' ? null : { not: null } },
      });
      if (count > 0) sources.push({ kind, owner: { datasetId }, count });
    }
    return sources;
  }
  for (const runId of [...runIds].sort()) {
    for (const kind of kindsOf[audit.scope]) {
      const count =
        kind === 'identity'
          ? await prisma.identity.count({ where: { runId } })
          : await prisma.sample.count({ where: { runId } });
      if (count > 0) sources.push({ kind, owner: { runId }, count });
    }
  }
  return sources;
}

async function segmentRows(prisma: PrismaClient, segment: Segment): Promise<QueryRow[]> {
  const page = { skip: segment.offset, take: segment.count };
  if ('datasetId' in segment.owner) {
    const members = await prisma.datasetMember.findMany({
      where: { datasetId: segment.owner.datasetId, sampleId: segment.kind === 'identity' ? null : { not: null } },
      orderBy: { position: 'asc' },
      ...page,
      select: {
        identityId: true,
        sampleId: true,
        identity: { select: { embedding: true } },
        sample: { select: { embedding: true } },
      },
    });
    return members.map((m) => ({
      identityId: m.identityId,
      sampleId: m.sampleId,
      embedding: m.sample?.embedding ?? m.identity.embedding,
    }));
  }
  const { runId } = segment.owner;
  if (segment.kind === 'identity') {
    const rows = await prisma.identity.findMany({
      where: { runId },
      orderBy: { index: 'asc' },
      ...page,
      select: { id: true, embedding: true },
    });
    return rows.map((row) => ({ identityId: row.id, sampleId: null, embedding: row.embedding }));
  }
  const rows = await prisma.sample.findMany({
    where: { runId },
    orderBy: [{ label: 'asc' }, { variation: 'asc' }, { id: 'asc' }],
    ...page,
    select: { id: true, identityId: true, embedding: true },
  });
  return rows.map((row) => ({ identityId: row.identityId, sampleId: row.id, embedding: row.embedding }));
}

export async function loadShardQueries(
  prisma: PrismaClient,
  segments: readonly Segment[],
  dim: number,
): Promise<ShardQueries> {
  const total = segments.reduce((sum, segment) => sum + segment.count, 0);
  const values = new Float32Array(total * dim);
  const identityIds: string[] = [];
  const sampleIds: Array<string | null> = [];
  for (const segment of segments) {
    const rows = await segmentRows(prisma, segment);
    if (rows.length !== segment.count)
      throw new Error(`the embeddings of ${JSON.stringify(segment.owner)} changed while they were audited`);
    for (const row of rows) {
      const embedding = bytesToFloat32(row.embedding);
      if (embedding.length !== dim)
        throw new Error(`embedding of ${row.sampleId ?? row.identityId} has ${embedding.length} values, not ${dim}`);
      values.set(embedding, identityIds.length * dim);
      identityIds.push(row.identityId);
      sampleIds.push(row.sampleId);
    }
  }
  return { embeddings: values, count: total, identityIds, sampleIds };
}
