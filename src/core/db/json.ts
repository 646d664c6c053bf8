import type { Prisma } from '../../generated/prisma/client.js';

/**
 * A value for a Prisma JSON column, checked on the way in: JSON.stringify would quietly turn NaN
 * and ±Infinity into null and drop undefined fields, so a diverged statistic would be stored as
 * "no value". Object fields that are undefined are left out, as in JSON.
 */
export function jsonColumn(value: unknown, path = '$'): Prisma.InputJsonValue {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path} is ${value}, which JSON cannot hold`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item: unknown, index) => jsonElement(item, `${path}[${index}]`));
  if (typeof value === 'object' && value !== null && !(value instanceof Date) && !ArrayBuffer.isView(value)) {
    const object: Record<string, Prisma.InputJsonValue | null> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) object[key] = jsonElement(item, `${path}.${key}`);
    }
    return object;
  }
  throw new TypeError(`${path} is ${value === null ? 'null' : typeof value}, which a JSON column cannot hold here`);
}

function jsonElement(value: unknown, path: string): Prisma.InputJsonValue | null {
  return value === null ? null : jsonColumn(value, path);
}

/** A stored JSON value that does not have the shape its column promises: a bug or a hand edit, never user input. */
export class StoredJsonError extends Error {
  override readonly name = 'StoredJsonError';
}
