/** A parameter that cannot be used, named as in the parameter object. */
export interface ParameterProblem {
  field: string;
  message: string;
}

type NumberRule = (value: number) => string | null;

export const positive: NumberRule = (v) => (v > 0 ? null : 'must be > 0');
export const nonNegative: NumberRule = (v) => (v >= 0 ? null : 'must be ≥ 0');
export const nonZero: NumberRule = (v) => (v !== 0 ? null : 'must not be 0');
export const nonNegativeInteger: NumberRule = (v) => (Number.isInteger(v) && v >= 0 ? null : 'must be an integer ≥ 0');
export const positiveInteger: NumberRule = (v) => (Number.isInteger(v) && v >= 1 ? null : 'must be an integer ≥ 1');
export const atMost =
  (limit: number, label: string): NumberRule =>
  (v) =>
    v <= limit ? null : `must be ≤ ${label}`;

/** Checks `params[field]` is a finite number satisfying every rule, reporting the first failure. */
export function checkNumber<T extends object>(
  params: T,
  field: keyof T & string,
  rules: NumberRule[],
  problems: ParameterProblem[],
): void {
  const value: unknown = params[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    problems.push({ field, message: 'must be a finite number' });
    return;
  }
  for (const rule of rules) {
    const message = rule(value);
    if (message !== null) {
      problems.push({ field, message });
      return;
    }
  }
}
