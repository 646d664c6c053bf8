import { isUuid } from '../ids/ids.js';
import { badUserInput } from './errors.js';

/** Ids arrive as strings; a malformed one is the caller's mistake, not a missing row. */
export function parseId<T extends string>(value: string, field: string): T {
  if (!isUuid(value)) throw badUserInput([{ field, message: `"${value}" is not a valid id` }]);
  return value.toLowerCase() as T;
}
