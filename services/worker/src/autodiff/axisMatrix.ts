import type { GradientContext } from './context.js';
import { product } from './shapes.js';

/**
 * Applies a dense linear map along one axis: result[..., i, ...] = Σ_j matrix[i][j] · t[..., j, ...].
 * Used for gradients of index maps with static indices (strided slices, reflect/edge padding,
 * resize), whose transposes are sparse but irregular. `like` names a forward tensor of the same
 * floating-point type as `t`.
 */
export function applyAlongAxis(
  ctx: GradientContext,
  t: string,
  shape: readonly number[],
  axis: number,
  matrix: ReadonlyArray<ReadonlyArray<number>>,
  like: string,
): { tensor: string; shape: number[] } {
  const rows = matrix.length;
  const cols = shape[axis]!;
  const pre = product(shape.slice(0, axis));
  const post = product(shape.slice(axis + 1));
  const m = ctx.floats(matrix.flat(), [rows, cols], like);
  const product3 = ctx.op('MatMul', [m, ctx.reshape(t, [pre, cols, post])]);
  const outShape = shape.map((d, k) => (k === axis ? rows : d));
  return { tensor: ctx.reshape(product3, outShape), shape: outShape };
}

/** The transpose of the 0/1 matrix that picks `source[j]` (−1: nothing) into position j. */
export function scatterMatrix(source: readonly number[], inputLength: number): number[][] {
  const matrix = Array.from({ length: inputLength }, () => new Array<number>(source.length).fill(0));
  source.forEach((i, j) => {
    if (i >= 0) matrix[i]![j]! += 1;
  });
  return matrix;
}

export function transposeMatrix(matrix: ReadonlyArray<ReadonlyArray<number>>, cols: number): number[][] {
  return Array.from({ length: cols }, (_, j) => matrix.map((row) => row[j]!));
}
