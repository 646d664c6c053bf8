import type { GradientContext } from '../context.js';
import type { GradientRule } from '../rule.js';
import { DataType } from '../../onnx/tensor.js';
import { normalizeAxis, product, range } from '../shapes.js';

/**
 * The gradient adds g's slices back at their indices, repeated indices accumulating. With constant
 * indices (an initializer: lookups, fixed resampling taps) it is itself a gather: each position of
 * the axis gathers the slices of g that read it, padded with a zero slice to the largest fan-in,
 * and sums them; linear in the sizes, so a warp over a large image stays cheap. Indices computed at
 * run time use a one-hot matrix times g, which needs no scatter-with-reduction (only in opset 16+).
 */
export const Gather: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const [x, indices] = [ctx.input(0), ctx.input(1)];
    const xShape = ctx.shape(x);
    const axis = normalizeAxis(ctx.int('axis', 0), xShape.length);
    const dim = xShape[axis]!;
    const count = product(ctx.shape(indices));
    const pre = product(xShape.slice(0, axis));
    const post = product(xShape.slice(axis + 1));
    const gRows = ctx.reshape(g!, [pre, count, post]);
    const constant = ctx.initializerNumbers(indices);
    const summed = constant
      ? transposedGather(ctx, x, gRows, constant, dim, pre, post)
      : oneHotSum(ctx, x, gRows, indices, dim, count);
    return [ctx.reshape(summed, xShape)];
  },
};

function transposedGather(
  ctx: GradientContext,
  x: string,
  gRows: string,
  indices: readonly number[],
  dim: number,
  pre: number,
  post: number,
): string {
  const readers: number[][] = Array.from({ length: dim }, () => []);
  indices.forEach((index, k) => readers[index < 0 ? index + dim : index]!.push(k));
  const fanIn = Math.max(1, ...readers.map((r) => r.length));
  const zeroSlot = indices.length;
  const table = readers.flatMap((r) => [...r, ...Array<number>(fanIn - r.length).fill(zeroSlot)]);
  const padded = ctx.op('Concat', [gRows, ctx.zeros([pre, 1, post], x)], { axis: 1 });
  const gathered = ctx.op('Gather', [padded, ctx.int64s(table, [dim, fanIn])], { axis: 1 });
  return ctx.reduceSum(gathered, [2], false);
}

function oneHotSum(
  ctx: GradientContext,
  x: string,
  gRows: string,
  indices: string,
  dim: number,
  count: number,
): string {
  const asInt64 =
    ctx.elemType(indices) === DataType.INT64 ? indices : ctx.op('Cast', [indices], { to: DataType.INT64 });
  const row = ctx.reshape(asInt64, [1, count]);
  const wrapped = ctx.op('Where', [
    ctx.op('Less', [row, ctx.int64s([0], [])]),
    ctx.op('Add', [row, ctx.int64s([dim], [])]),
    row,
  ]);
  const oneHot = ctx.op('Cast', [ctx.op('Equal', [wrapped, ctx.int64s(range(dim), [dim, 1])])], {
    to: ctx.floatType(x),
  });
  return ctx.op('MatMul', [oneHot, gRows]);
}
