import type { GradientRule } from '../rule.js';
import { DataType } from '../../onnx/tensor.js';
import { normalizeAxis, product, range } from '../shapes.js';

/**
 * The gradient adds g's slices back at their indices, repeated indices accumulating. Built as a
 * one-hot matrix (from the runtime indices, so data-dependent indices work too) times g, which
 * needs no scatter-with-reduction (only in opset 16+).
 */
export const Gather: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const [x, indices] = [ctx.input(0), ctx.input(1)];
    const xShape = ctx.shape(x);
    const axis = normalizeAxis(ctx.int('axis', 0), xShape.length);
    const dim = xShape[axis]!;
    const count = product(ctx.shape(indices));
    const asInt64 = ctx.elemType(indices) === DataType.INT64 ? indices : ctx.op('Cast', [indices], { to: DataType.INT64 });
    const row = ctx.reshape(asInt64, [1, count]);
    const wrapped = ctx.op('Where', [ctx.op('Less', [row, ctx.int64s([0], [])]), ctx.op('Add', [row, ctx.int64s([dim], [])]), row]);
    const oneHot = ctx.op('Cast', [ctx.op('Equal', [wrapped, ctx.int64s(range(dim), [dim, 1])])], { to: ctx.floatType(x) });
    const pre = product(xShape.slice(0, axis));
    const post = product(xShape.slice(axis + 1));
    const summed = ctx.op('MatMul', [oneHot, ctx.reshape(g!, [pre, count, post])]);
    return [ctx.reshape(summed, xShape)];
  },
};
