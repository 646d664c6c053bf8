import DataLoader from 'dataloader';
import type { PrismaClient } from '../core/db/client.js';
import { bytesToFloat32 } from '../core/db/floats.js';
import { Prisma } from '../generated/prisma/client.js';
import type * as db from '../generated/prisma/client.js';
import type { PageRequest } from './connections.js';
import type { IdentityRow, SampleRow } from './mappers.js';
import type { StoredVectors } from './types/Identity.js';

function byKey<T, K>(keys: readonly K[], rows: T[], keyOf: (row: T) => K): (T | undefined)[] {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key));
}

function groupBy<T, K>(keys: readonly K[], rows: T[], keyOf: (row: T) => K): T[][] {
  const groups = new Map<K, T[]>(keys.map((key) => [key, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(row);
  return keys.map((key) => groups.get(key) ?? []);
}

/** A page of a run's identities or samples; two fields on one run with other arguments are two keys. */
export interface RunPageKey {
  runId: string;
  request: PageRequest;
}

/** Cursor bounds that let every key of a batch share one statement: no cursor is an open end. */
const noIndex = { after: -1, before: 2 ** 31 - 1 };

function pageKeyId(key: RunPageKey): string {
  return JSON.stringify([key.runId, key.request.direction, key.request.cursor ?? null, key.request.limit]);
}

function bound(key: RunPageKey, side: 'forward' | 'backward', width: number): number[] {
  const cursor = key.request.direction === side ? (key.request.cursor as number[] | undefined) : undefined;
  return cursor ?? Array.from({ length: width }, () => (side === 'forward' ? noIndex.after : noIndex.before));
}

/** Rows of each key, in the key's fetch order (connection order forward, reversed backward). */
function rowsOfKeys<T extends { ord: number }>(
  keys: readonly RunPageKey[],
  rows: T[],
  compare: (a: T, b: T) => number,
): Omit<T, 'ord'>[][] {
  return keys.map((key, i) => {
    const own = rows.filter((row) => row.ord === i + 1).sort(compare);
    if (key.request.direction === 'backward') own.reverse();
    return own.map(({ ord: _ord, ...row }) => row);
  });
}

/**
 * Pages of identities and samples leave out the latent and the embedding (2 KiB each at 512
 * dimensions, read and decoded for every row otherwise); `identityVectors` / `sampleVectors` read
 * them for the rows of a query that asks (docs/operations.md, "Under load").
 */
const identityColumns = Prisma.sql`"id", "runId", "index", "imageKey", "imageSha256", "createdAt"`;
const sampleColumns = Prisma.sql`"id", "identityId", "runId", "shardId", "label", "variation", "imageKey", "imageSha256",
  "covariateCoefficients", "createdAt"`;

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
      groupBy(
        ids,
        await prisma.runShard.findMany({
          where: { runId: { in: [...ids] } },
          orderBy: [{ runId: 'asc' }, { index: 'asc' }],
        }),
        (r) => r.runId,
      ),
    ),
    childrenOfRun: new DataLoader<string, db.Run[]>(async (ids) =>
      groupBy(
        ids,
        await prisma.run.findMany({
          where: { parentRunId: { in: [...ids] } },
          orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        }),
        (r) => r.parentRunId ?? '',
      ),
    ),
    iterationsOfRun: new DataLoader<string, db.RunIteration[]>(async (ids) =>
      groupBy(
        ids,
        await prisma.runIteration.findMany({
          where: { runId: { in: [...ids] } },
          orderBy: [{ runId: 'asc' }, { iteration: 'asc' }],
        }),
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
    /** Latents and embeddings of identities whose rows were read without them; one statement per request. */
    identityVectors: new DataLoader<string, StoredVectors | undefined>(async (ids) =>
      byKey(
        ids,
        await prisma.identity.findMany({
          where: { id: { in: [...ids] } },
          select: { id: true, latent: true, embedding: true },
        }),
        (r) => r.id,
      ),
    ),
    sampleVectors: new DataLoader<string, StoredVectors | undefined>(async (ids) =>
      byKey(
        ids,
        await prisma.sample.findMany({
          where: { id: { in: [...ids] } },
          select: { id: true, latent: true, embedding: true },
        }),
        (r) => r.id,
      ),
    ),
    identityCountOfRun: new DataLoader<string, number>(async (ids) => {
      const counts = await prisma.identity.groupBy({
        by: ['runId'],
        where: { runId: { in: [...ids] } },
        _count: { _all: true },
      });
      const map = new Map(counts.map((c) => [c.runId, c._count._all]));
      return ids.map((id) => map.get(id) ?? 0);
    }),
    sampleCountOfRun: new DataLoader<string, number>(async (ids) => {
      const counts = await prisma.sample.groupBy({
        by: ['runId'],
        where: { runId: { in: [...ids] } },
        _count: { _all: true },
      });
      const map = new Map(counts.map((c) => [c.runId, c._count._all]));
      return ids.map((id) => map.get(id) ?? 0);
    }),
    /**
     * One statement serves every page of identities in the request, whatever its run, direction,
     * cursor or size: each key's rows come back tagged with the key's position.
     */
    identityPage: new DataLoader<RunPageKey, IdentityRow[], string>(
      async (keys) => {
        const rows = await prisma.$queryRaw<Array<IdentityRow & { ord: number }>>`
          SELECT k.ord::int AS ord, i.*
          FROM unnest(${keys.map((k) => k.runId)}::uuid[], ${keys.map((k) => k.request.limit)}::int[],
                      ${keys.map((k) => k.request.direction === 'backward')}::bool[],
                      ${keys.map((k) => bound(k, 'forward', 1)[0])}::int[], ${keys.map((k) => bound(k, 'backward', 1)[0])}::int[])
               WITH ORDINALITY AS k("runId", lim, backward, after_index, before_index, ord)
          CROSS JOIN LATERAL (
            (SELECT ${identityColumns} FROM "Identity" WHERE NOT k.backward AND "Identity"."runId" = k."runId" AND "index" > k.after_index
              ORDER BY "index" LIMIT k.lim)
            UNION ALL
            (SELECT ${identityColumns} FROM "Identity" WHERE k.backward AND "Identity"."runId" = k."runId" AND "index" < k.before_index
              ORDER BY "index" DESC LIMIT k.lim)
          ) AS i`;
        return rowsOfKeys(keys, rows, (a, b) => a.index - b.index);
      },
      { cacheKeyFn: pageKeyId },
    ),
    /** Pages of samples in (label, variation) order, one statement for every page of the request. */
    samplePage: new DataLoader<RunPageKey, SampleRow[], string>(
      async (keys) => {
        const after = keys.map((k) => bound(k, 'forward', 2));
        const before = keys.map((k) => bound(k, 'backward', 2));
        const rows = await prisma.$queryRaw<Array<SampleRow & { ord: number }>>`
          SELECT k.ord::int AS ord, s.*
          FROM unnest(${keys.map((k) => k.runId)}::uuid[], ${keys.map((k) => k.request.limit)}::int[],
                      ${keys.map((k) => k.request.direction === 'backward')}::bool[],
                      ${after.map((b) => b[0]!)}::int[], ${after.map((b) => b[1]!)}::int[],
                      ${before.map((b) => b[0]!)}::int[], ${before.map((b) => b[1]!)}::int[])
               WITH ORDINALITY AS k("runId", lim, backward, after_label, after_variation, before_label, before_variation, ord)
          CROSS JOIN LATERAL (
            (SELECT ${sampleColumns} FROM "Sample" WHERE NOT k.backward AND "Sample"."runId" = k."runId"
                AND ("Sample".label, "Sample".variation) > (k.after_label, k.after_variation)
              ORDER BY label, variation LIMIT k.lim)
            UNION ALL
            (SELECT ${sampleColumns} FROM "Sample" WHERE k.backward AND "Sample"."runId" = k."runId"
                AND ("Sample".label, "Sample".variation) < (k.before_label, k.before_variation)
              ORDER BY label DESC, variation DESC LIMIT k.lim)
          ) AS s`;
        return rowsOfKeys(keys, rows, (a, b) => a.label - b.label || a.variation - b.variation);
      },
      { cacheKeyFn: pageKeyId },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
