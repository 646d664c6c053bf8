import DataLoader from 'dataloader';
import type { PrismaClient } from '../core/db/client.js';
import { bytesToFloat32 } from '../core/db/floats.js';
import type * as db from '../generated/prisma/client.js';

function byKey<T, K>(keys: readonly K[], rows: T[], keyOf: (row: T) => K): (T | undefined)[] {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key));
}

function groupBy<T, K>(keys: readonly K[], rows: T[], keyOf: (row: T) => K): T[][] {
  const groups = new Map<K, T[]>(keys.map((key) => [key, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(row);
  return keys.map((key) => groups.get(key) ?? []);
}

export interface SamplePageKey {
  runId: string;
  limit: number;
  /** (label, variation) of the last sample of the previous page; (−1, −1) for the first page. */
  afterLabel: number;
  afterVariation: number;
}

export interface IdentityPageKey {
  runId: string;
  /** Rows to fetch: the page size plus one, to tell whether another page follows. */
  limit: number;
  afterIndex: number;
}

/**
 * Per-request batching: a nested query over many runs costs a fixed number of statements,
 * one per relation, whatever the number of runs.
 */
export function createLoaders(prisma: PrismaClient) {
  return {
    run: new DataLoader<string, db.Run | undefined>(async (ids) =>
      byKey(ids, await prisma.run.findMany({ where: { id: { in: [...ids] } } }), (r) => r.id),
    ),
    modelPack: new DataLoader<string, db.ModelPack | undefined>(async (ids) =>
      byKey(ids, await prisma.modelPack.findMany({ where: { id: { in: [...ids] } } }), (r) => r.id),
    ),
    identity: new DataLoader<string, db.Identity | undefined>(async (ids) =>
      byKey(ids, await prisma.identity.findMany({ where: { id: { in: [...ids] } } }), (r) => r.id),
    ),
    shardsOfRun: new DataLoader<string, db.RunShard[]>(async (ids) =>
      groupBy(ids, await prisma.runShard.findMany({ where: { runId: { in: [...ids] } }, orderBy: [{ runId: 'asc' }, { index: 'asc' }] }), (r) => r.runId),
    ),
    childrenOfRun: new DataLoader<string, db.Run[]>(async (ids) =>
      groupBy(
        ids,
        await prisma.run.findMany({ where: { parentRunId: { in: [...ids] } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }),
        (r) => r.parentRunId ?? '',
      ),
    ),
    iterationsOfRun: new DataLoader<string, db.RunIteration[]>(async (ids) =>
      groupBy(
        ids,
        await prisma.runIteration.findMany({ where: { runId: { in: [...ids] } }, orderBy: [{ runId: 'asc' }, { iteration: 'asc' }] }),
        (r) => r.runId,
      ),
    ),
    /** Embeddings of every identity of a run, for nearest-neighbour angles; one statement per request. */
    embeddingsOfRun: new DataLoader<string, { id: string; embedding: Float32Array }[]>(async (ids) =>
      groupBy(
        ids,
        (
          await prisma.identity.findMany({
            where: { runId: { in: [...ids] } },
            select: { id: true, runId: true, embedding: true },
            orderBy: [{ runId: 'asc' }, { index: 'asc' }],
          })
        ).map((row) => ({ id: row.id, runId: row.runId, embedding: bytesToFloat32(row.embedding) })),
        (row) => row.runId,
      ),
    ),
    identityCountOfRun: new DataLoader<string, number>(async (ids) => {
      const counts = await prisma.identity.groupBy({ by: ['runId'], where: { runId: { in: [...ids] } }, _count: { _all: true } });
      const map = new Map(counts.map((c) => [c.runId, c._count._all]));
      return ids.map((id) => map.get(id) ?? 0);
    }),
    sampleCountOfRun: new DataLoader<string, number>(async (ids) => {
      const counts = await prisma.sample.groupBy({ by: ['runId'], where: { runId: { in: [...ids] } }, _count: { _all: true } });
      const map = new Map(counts.map((c) => [c.runId, c._count._all]));
      return ids.map((id) => map.get(id) ?? 0);
    }),
    /** One windowed statement serves the first page of identities of every run in the request. */
    identityPage: new DataLoader<IdentityPageKey, db.Identity[], string>(
      async (keys) => {
        const runIds = keys.map((k) => k.runId);
        const limits = keys.map((k) => k.limit);
        const afters = keys.map((k) => k.afterIndex);
        const rows = await prisma.$queryRaw<db.Identity[]>`
          SELECT i.* FROM unnest(${runIds}::uuid[], ${limits}::int[], ${afters}::int[]) AS k("runId", lim, after_index)
          CROSS JOIN LATERAL (
            SELECT * FROM "Identity" WHERE "Identity"."runId" = k."runId" AND "Identity"."index" > k.after_index
            ORDER BY "index" LIMIT k.lim
          ) AS i`;
        return keys.map((key) => rows.filter((row) => row.runId === key.runId && row.index > key.afterIndex).slice(0, key.limit));
      },
      { cacheKeyFn: (key) => `${key.runId}:${key.limit}:${key.afterIndex}` },
    ),
    /** Pages of samples in (label, variation) order, one windowed statement for every run of the request. */
    samplePage: new DataLoader<SamplePageKey, db.Sample[], string>(
      async (keys) => {
        const rows = await prisma.$queryRaw<db.Sample[]>`
          SELECT s.* FROM unnest(${keys.map((k) => k.runId)}::uuid[], ${keys.map((k) => k.limit)}::int[],
                                 ${keys.map((k) => k.afterLabel)}::int[], ${keys.map((k) => k.afterVariation)}::int[])
                          AS k("runId", lim, after_label, after_variation)
          CROSS JOIN LATERAL (
            SELECT * FROM "Sample" WHERE "Sample"."runId" = k."runId"
              AND ("Sample".label, "Sample".variation) > (k.after_label, k.after_variation)
            ORDER BY label, variation LIMIT k.lim
          ) AS s`;
        return keys.map((key) =>
          rows
            .filter((row) => row.runId === key.runId && (row.label > key.afterLabel || (row.label === key.afterLabel && row.variation > key.afterVariation)))
            .slice(0, key.limit),
        );
      },
      { cacheKeyFn: (key) => `${key.runId}:${key.limit}:${key.afterLabel}:${key.afterVariation}` },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
