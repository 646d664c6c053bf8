import type { PrismaClient } from '../core/db/client.js';
import { Prisma, type Run } from '../generated/prisma/client.js';
import type { RunKind, RunStatus } from '../generated/prisma/enums.js';
import type { PageRequest } from '../graphql/connections.js';

/** What the runs table can be sorted by; each is one scalar per run, computed in SQL. */
export enum RunOrderField {
  CREATED_AT = 'CREATED_AT',
  STARTED_AT = 'STARTED_AT',
  KIND = 'KIND',
  STATUS = 'STATUS',
  MODEL_PACK = 'MODEL_PACK',
  IDENTITIES = 'IDENTITIES',
  ITERATIONS = 'ITERATIONS',
  PROGRESS = 'PROGRESS',
  DURATION = 'DURATION',
}

export type SortDirection = 'ASC' | 'DESC';

/**
 * Runs not started (or not finished) have no start time (or duration): they sort as if later (or
 * longer) than any run that has one, which is where they will end up. A finite number, so that it
 * fits a JSON cursor.
 */
export const notYet = 1e15;

export type SortKeyType = 'timestamp' | 'number' | 'text';

/**
 * Numeric keys are float8 and text keys text, so a cursor's value compares exactly as the ORDER BY
 * does; the creation time stays the bare column, so the default order reads the (createdAt, id) index.
 */
const sortKeys: Record<RunOrderField, { sql: Prisma.Sql; type: SortKeyType }> = {
  CREATED_AT: { sql: Prisma.sql`r."createdAt"`, type: 'timestamp' },
  STARTED_AT: {
    sql: Prisma.sql`COALESCE(EXTRACT(EPOCH FROM r."startedAt")::float8, ${notYet}::float8)`,
    type: 'number',
  },
  KIND: { sql: Prisma.sql`r."kind"::text`, type: 'text' },
  STATUS: { sql: Prisma.sql`r."status"::text`, type: 'text' },
  MODEL_PACK: { sql: Prisma.sql`p."name"`, type: 'text' },
  IDENTITIES: { sql: Prisma.sql`(SELECT count(*) FROM "Identity" i WHERE i."runId" = r."id")::float8`, type: 'number' },
  ITERATIONS: { sql: Prisma.sql`r."totalIterations"::float8`, type: 'number' },
  PROGRESS: {
    sql: Prisma.sql`CASE WHEN r."totalIterations" > 0 THEN r."iteration"::float8 / r."totalIterations" ELSE 0 END`,
    type: 'number',
  },
  DURATION: {
    sql: Prisma.sql`COALESCE(EXTRACT(EPOCH FROM r."finishedAt" - r."startedAt")::float8, ${notYet}::float8)`,
    type: 'number',
  },
};

export function sortKeyType(field: RunOrderField): SortKeyType {
  return sortKeys[field].type;
}

export interface RunListFilter {
  status?: RunStatus;
  kind?: RunKind;
  modelPackId?: string;
  parentRunId?: string;
  createdAfter?: Date;
}

export interface RunOrder {
  field: RunOrderField;
  direction: SortDirection;
}

/** A cursor's position: the sort key of the row it names (a timestamp as its ISO string), and that row's id to break ties. */
export interface RunPosition {
  key: number | string;
  id: string;
}

export type RunListRow = Run & { sortKey: number | string | Date };

function whereOf(filter: RunListFilter): Prisma.Sql {
  const conditions: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (filter.status) conditions.push(Prisma.sql`r."status"::text = ${filter.status}`);
  if (filter.kind) conditions.push(Prisma.sql`r."kind"::text = ${filter.kind}`);
  if (filter.modelPackId) conditions.push(Prisma.sql`r."modelPackId" = ${filter.modelPackId}::uuid`);
  if (filter.parentRunId) conditions.push(Prisma.sql`r."parentRunId" = ${filter.parentRunId}::uuid`);
  if (filter.createdAfter) conditions.push(Prisma.sql`r."createdAt" >= ${filter.createdAfter}`);
  return Prisma.join(conditions, ' AND ');
}

/**
 * One keyset page of runs in any order the table offers, ties broken by id: a page forward reads
 * the order from its cursor on, a page backward reads it reversed from its cursor (the caller
 * reverses the rows back). Keys that change while a run goes on (progress, duration of a
 * running run) move the run between pages, as any live ordering must; a cursor still names a
 * position, so no page repeats or skips a run whose key did not change.
 */
export async function listRuns(
  prisma: PrismaClient,
  filter: RunListFilter,
  order: RunOrder,
  request: Pick<PageRequest, 'direction' | 'limit'>,
  position: RunPosition | undefined,
): Promise<RunListRow[]> {
  const key = sortKeys[order.field];
  const ascending = (order.direction === 'ASC') === (request.direction === 'forward');
  const where = whereOf(filter);
  const bound = position
    ? ascending
      ? Prisma.sql`AND (${key.sql}, r."id") > (${cursorValue(key.type, position.key)}, ${position.id}::uuid)`
      : Prisma.sql`AND (${key.sql}, r."id") < (${cursorValue(key.type, position.key)}, ${position.id}::uuid)`
    : Prisma.empty;
  const direction = ascending ? Prisma.sql`ASC` : Prisma.sql`DESC`;
  return prisma.$queryRaw<RunListRow[]>`
    SELECT r.*, ${key.sql} AS "sortKey"
    FROM "Run" r JOIN "ModelPack" p ON p."id" = r."modelPackId"
    WHERE ${where} ${bound}
    ORDER BY "sortKey" ${direction}, r."id" ${direction}
    LIMIT ${request.limit}`;
}

/** How many runs pass the filter, over all pages. */
export async function countRuns(prisma: PrismaClient, filter: RunListFilter): Promise<number> {
  const [count] = await prisma.$queryRaw<Array<{ count: number }>>`
    SELECT count(*)::int AS count FROM "Run" r WHERE ${whereOf(filter)}`;
  return count?.count ?? 0;
}

function cursorValue(type: SortKeyType, value: number | string): Prisma.Sql {
  switch (type) {
    case 'number':
      return Prisma.sql`${value}::float8`;
    case 'text':
      return Prisma.sql`${value}::text`;
    case 'timestamp':
      // The column holds UTC without a zone; the ISO string's Z is dropped by the cast, as it should be.
      return Prisma.sql`${value}::timestamp(3)`;
  }
}

/** The sort key as a cursor carries it. */
export function cursorKey(row: RunListRow): number | string {
  return row.sortKey instanceof Date ? row.sortKey.toISOString() : row.sortKey;
}
