import { isUuid } from '../core/ids/ids.js';
import { badUserInput, type FieldProblem } from './errors.js';

/**
 * Ids arrive as strings; a malformed one is the caller's mistake, not a missing row. Adds the
 * problem to `problems` and returns undefined, for inputs that report every bad field at once.
 */
export function checkId<T extends string>(value: string, field: string, problems: FieldProblem[]): T | undefined {
  if (isUuid(value)) return value.toLowerCase() as T;
  problems.push({ field, message: `"${value}" is not a valid id` });
  return undefined;
}

export function parseId<T extends string>(value: string, field: string): T {
  const problems: FieldProblem[] = [];
  const id = checkId<T>(value, field, problems);
  if (id === undefined) throw badUserInput(problems);
  return id;
}
