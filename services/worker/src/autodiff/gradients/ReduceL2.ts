import { reducedAxes, withKeptDims } from '../reduction.js';
import type { GradientRule } from '../rule.js';

/** y = √Σx²: ∂x = g · x / y (undefined where y = 0, as for the norm itself). */
export const ReduceL2: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const x = ctx.input(0);
    const axes = reducedAxes(ctx, ctx.shape(x).length);
    if (axes === null) return [g];
    const ratio = ctx.op('Div', [withKeptDims(ctx, g!, axes), withKeptDims(ctx, ctx.output(0), axes)]);
    return [ctx.op('Mul', [x, ratio])];
  },
};
