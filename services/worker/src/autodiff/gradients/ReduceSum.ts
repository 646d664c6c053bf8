import { reducedAxes, withKeptDims } from '../reduction.js';
import type { GradientRule } from '../rule.js';

export const ReduceSum: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const xShape = ctx.shape(ctx.input(0));
    const axes = reducedAxes(ctx, xShape.length);
    if (axes === null) return [g];
    return [ctx.expand(withKeptDims(ctx, g!, axes), xShape)];
  },
};
