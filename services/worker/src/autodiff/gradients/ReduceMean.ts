import { reducedAxes, withKeptDims } from '../reduction.js';
import type { GradientRule } from '../rule.js';
import { product } from '../shapes.js';

export const ReduceMean: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const x = ctx.input(0);
    const xShape = ctx.shape(x);
    const axes = reducedAxes(ctx, xShape.length);
    if (axes === null) return [g];
    const count = product(axes.map((a) => xShape[a]!));
    const scaled = ctx.op('Mul', [withKeptDims(ctx, g!, axes), ctx.scalar(1 / count, x)]);
    return [ctx.expand(scaled, xShape)];
  },
};
