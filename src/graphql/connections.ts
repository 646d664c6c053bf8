import { isUuid } from '../core/ids/ids.js';
import { badUserInput } from './errors.js';
import type { PageInfo } from './types/PageInfo.js';

export const defaultPageSize = 20;
export const maxPageSize = 200;

export interface Page<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: PageInfo;
  totalCount: PromiseLike<number>;
}

/**
 * A count that runs when GraphQL resolves `totalCount` and not before: counting is a statement of
 * its own, and most pages do not ask for it (two statements in five of a typical nested query under
 * load were counts nobody read; docs/operations.md, "Under load"). GraphQL awaits any thenable.
 */
export function countOnDemand(count: () => Promise<number>): PromiseLike<number> {
  let started: Promise<number> | undefined;
  return {
    then: (onFulfilled, onRejected) => (started ??= count()).then(onFulfilled, onRejected),
  };
}

/** Cursors are opaque to clients; inside they carry the sort key of the row they follow. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * What each part of a cursor must be: a timestamp (ISO string), a row id, a row index (an
 * int32 ≥ 0), a finite number (a score) or a text key (a name, at most 200 characters, as the
 * names it sorts by are). Cursors come back from clients, so each part is checked before it
 * reaches a query.
 */
export type CursorPart = 'timestamp' | 'id' | 'index' | 'finite' | 'text';

/** Long enough for a text key of 200 four-byte characters with its id, base64-encoded. */
const maxCursorLength = 2048;

const cursorPartChecks: Record<CursorPart, (part: unknown) => boolean> = {
  timestamp: (part) => typeof part === 'string' && part.length <= 40 && !Number.isNaN(Date.parse(part)),
  id: (part) => typeof part === 'string' && isUuid(part),
  index: (part) => typeof part === 'number' && Number.isInteger(part) && part >= 0 && part <= 2_147_483_647,
  finite: (part) => typeof part === 'number' && Number.isFinite(part),
  text: (part) => typeof part === 'string' && part.length <= 200,
};

export function decodeCursor(cursor: string, field: string, shape: readonly CursorPart[]): (string | number)[] {
  try {
    if (cursor.length <= maxCursorLength) {
      const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
      if (
        Array.isArray(key) &&
        key.length === shape.length &&
        key.every((part, i) => cursorPartChecks[shape[i]!](part))
      ) {
        return key as (string | number)[];
      }
    }
  } catch {
    // fall through to the error below
  }
  throw badUserInput([{ field, message: 'not a cursor returned by this API' }]);
}

export function pageSize(first: number | undefined | null, field = 'first'): number {
  const size = first ?? defaultPageSize;
  if (!Number.isInteger(size) || size < 0 || size > maxPageSize) {
    throw badUserInput([{ field, message: `must be an integer from 0 to ${maxPageSize}` }]);
  }
  return size;
}

/** The Relay connection arguments (https://relay.dev/graphql/connections.htm). */
export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export type CursorKey = (string | number)[];

/**
 * What to fetch for one page: `limit` rows (the page size plus one, which only tells whether more
 * follow) in connection order after `cursor` when forward, in reverse order before it when backward.
 */
export interface PageRequest {
  direction: 'forward' | 'backward';
  cursor: CursorKey | undefined;
  size: number;
  limit: number;
}

/** Reads first/after or last/before; mixing the two directions in one request is refused. */
export function pageRequest(args: ConnectionArgs, shape: readonly CursorPart[]): PageRequest {
  const forwardGiven = args.first != null || args.after != null;
  const backwardGiven = args.last != null || args.before != null;
  if (forwardGiven && backwardGiven) {
    throw badUserInput([
      { field: args.last != null ? 'last' : 'before', message: 'page with first/after or with last/before, not both' },
    ]);
  }
  if (backwardGiven) {
    const size = pageSize(args.last, 'last');
    const cursor = args.before != null ? decodeCursor(args.before, 'before', shape) : undefined;
    return { direction: 'backward', cursor, size, limit: size + 1 };
  }
  const size = pageSize(args.first, 'first');
  const cursor = args.after != null ? decodeCursor(args.after, 'after', shape) : undefined;
  return { direction: 'forward', cursor, size, limit: size + 1 };
}

/**
 * A page from the rows a PageRequest fetched, in their fetch order. The extra row tells whether
 * more follow in the direction of paging; rows on the other side of a cursor exist because the
 * cursor's own row was on a page before (the specification lets a server answer so).
 */
export function pageOf<T>(
  rows: T[],
  request: PageRequest,
  count: () => Promise<number>,
  keyOf: (row: T) => CursorKey,
): Page<T> {
  const more = rows.length > request.size;
  const nodes = rows.slice(0, request.size);
  if (request.direction === 'backward') nodes.reverse();
  const edges = nodes.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  const pastCursor = request.cursor !== undefined;
  return {
    edges,
    totalCount: countOnDemand(count),
    pageInfo: {
      hasNextPage: request.direction === 'forward' ? more : pastCursor,
      hasPreviousPage: request.direction === 'forward' ? pastCursor : more,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

type SortOrder = 'asc' | 'desc';

/**
 * Prisma `where` and `orderBy` for a page of a table in (createdAt, id) order: `order` is the
 * connection's order; a backward page reads the other way from its cursor. The cursor key is
 * [createdAt as ISO string, id].
 */
export function keysetPage<W extends object>(
  request: PageRequest,
  where: W,
  order: SortOrder,
): { where: W; orderBy: [{ createdAt: SortOrder }, { id: SortOrder }] } {
  const fetchOrder: SortOrder = request.direction === 'forward' ? order : order === 'asc' ? 'desc' : 'asc';
  const orderBy: [{ createdAt: SortOrder }, { id: SortOrder }] = [{ createdAt: fetchOrder }, { id: fetchOrder }];
  if (request.cursor === undefined) return { where, orderBy };
  const [createdAt, id] = request.cursor as [string, string];
  const at = new Date(createdAt);
  if (Number.isNaN(at.getTime())) {
    throw badUserInput([
      { field: request.direction === 'forward' ? 'after' : 'before', message: 'not a cursor returned by this API' },
    ]);
  }
  const op = fetchOrder === 'desc' ? 'lt' : 'gt';
  // Every Prisma model with createdAt and id accepts this shape; W names the model's own input type.
  const bound = { OR: [{ createdAt: { [op]: at } }, { createdAt: at, id: { [op]: id } }] } as W;
  return { where: { AND: [where, bound] } as W, orderBy };
}
