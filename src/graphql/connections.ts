import { badUserInput } from './errors.js';
import type { PageInfo } from './types/PageInfo.js';

export const defaultPageSize = 20;
export const maxPageSize = 200;

export interface Page<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: PageInfo;
  totalCount: number;
}

/** Cursors are opaque to clients; inside they carry the sort key of the row they follow. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, field: string, shape: readonly ('string' | 'number')[]): (string | number)[] {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === shape.length && key.every((part, i) => typeof part === shape[i])) {
      return key as (string | number)[];
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

/** Builds a page from rows fetched with one extra row, which only tells whether a next page exists. */
export function toPage<T>(rows: T[], size: number, totalCount: number, hasPrevious: boolean, keyOf: (row: T) => (string | number)[]): Page<T> {
  const nodes = rows.slice(0, size);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  return {
    edges,
    totalCount,
    pageInfo: {
      hasNextPage: rows.length > size,
      hasPreviousPage: hasPrevious,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
