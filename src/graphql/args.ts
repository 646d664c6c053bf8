import { isUuid } from '../core/ids/ids.js';
import { isUploadKey } from '../core/store/keys.js';
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

/** An id argument read where type-graphql hands the arguments over untyped (a subscription's topic or filter). */
export function parseIdArgument<T extends string>(args: unknown, name: string): T {
  const value: unknown =
    typeof args === 'object' && args !== null ? (args as Record<string, unknown>)[name] : undefined;
  if (typeof value !== 'string') throw badUserInput([{ field: name, message: 'must be an id' }]);
  return parseId<T>(value, name);
}

/** Object keys in inputs must be keys createUploadUrl handed out. */
export function checkUploadKey(value: string, field: string, problems: FieldProblem[]): string | undefined {
  if (isUploadKey(value)) return value;
  problems.push({ field, message: 'not an object key returned by createUploadUrl' });
  return undefined;
}

export function parseUploadKey(value: string, field: string): string {
  const problems: FieldProblem[] = [];
  const key = checkUploadKey(value, field, problems);
  if (key === undefined) throw badUserInput(problems);
  return key;
}
