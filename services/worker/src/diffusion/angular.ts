/**
 * Angular distance between embeddings, d(a, b) = arccos(c · â·b̂), with c slightly below 1 so
 * that neither the distance nor its derivative is undefined at â·b̂ = ±1.
 */
export const COSINE_SCALE = 0.999999;

/** Embedding rows normalised to unit length, with their original norms, in float64. */
export interface UnitRows {
  readonly count: number;
  readonly dim: number;
  /** count × dim, row-major, each row of norm 1. */
  readonly unit: Float64Array;
  /** |row| before normalisation. */
  readonly norms: Float64Array;
}

/** `what` and `firstIndex` name a bad row in the error: rows of a gallery chunk, say. */
export function unitRows(
  rows: Float32Array | Float64Array,
  count: number,
  dim: number,
  what = 'embedding',
  firstIndex = 0,
): UnitRows {
  if (rows.length < count * dim) {
    throw new RangeError(`expected ${count} × ${dim} values, got ${rows.length}`);
  }
  const unit = new Float64Array(count * dim);
  const norms = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const base = i * dim;
    let sum = 0;
    for (let d = 0; d < dim; d++) {
      const v = rows[base + d]!;
      sum += v * v;
    }
    const norm = Math.sqrt(sum);
    // A zero or non-finite embedding has no direction; failing here names the row instead of
    // letting NaN spread through every force.
    if (!(norm > 0) || !Number.isFinite(norm)) {
      throw new RangeError(`${what} row ${firstIndex + i} has norm ${norm}; angular distance is undefined`);
    }
    norms[i] = norm;
    for (let d = 0; d < dim; d++) unit[base + d] = rows[base + d]! / norm;
  }
  return { count, dim, unit, norms };
}

/** â·b̂ for row i of `a` and row j of `b`. */
export function unitDot(a: Float64Array, i: number, b: Float64Array, j: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const ai = i * dim;
  const bj = j * dim;
  let d = 0;
  for (; d + 3 < dim; d += 4) {
    s0 += a[ai + d]! * b[bj + d]!;
    s1 += a[ai + d + 1]! * b[bj + d + 1]!;
    s2 += a[ai + d + 2]! * b[bj + d + 2]!;
    s3 += a[ai + d + 3]! * b[bj + d + 3]!;
  }
  for (; d < dim; d++) s0 += a[ai + d]! * b[bj + d]!;
  return s0 + s1 + (s2 + s3);
}

/** d as a function of the cosine s = â·b̂. */
export function angularDistanceFromCosine(cosine: number): number {
  return Math.acos(COSINE_SCALE * cosine);
}

/** ∂d/∂s = −c / √(1 − c²s²), always negative and finite for |s| ≤ 1. */
export function angularDistanceSlope(cosine: number): number {
  const scaled = COSINE_SCALE * cosine;
  return -COSINE_SCALE / Math.sqrt(1 - scaled * scaled);
}

/**
 * Adds weight · ∂d(a, b)/∂a to out[outOffset ..] where s = â·b̂ and the rows are unit:
 * ∂d/∂a = (∂d/∂s) · (b̂ − s·â) / |a|.
 */
export function addAngularGradient(
  out: Float64Array,
  outOffset: number,
  weight: number,
  a: UnitRows,
  i: number,
  b: UnitRows,
  j: number,
  cosine: number,
): void {
  const dim = a.dim;
  const scale = (weight * angularDistanceSlope(cosine)) / a.norms[i]!;
  const ai = i * dim;
  const bj = j * dim;
  for (let d = 0; d < dim; d++) {
    out[outOffset + d] += scale * (b.unit[bj + d]! - cosine * a.unit[ai + d]!);
  }
}
