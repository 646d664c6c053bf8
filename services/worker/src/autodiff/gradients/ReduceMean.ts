import { reducedAxes, withKeptDims } from '../reduction.js';
import type { GradientRule } from '../rule.js';

/**
 * ∂/∂x = expand(g / n), n the number of elements averaged. n is Size(x) / Size(y) at run time, not a
 * constant from the static shapes: StyleGAN3 averages over the batch too (s.square().mean()), and a
 * constant 1/n would tie the gradient graph to one batch size (anyBatch.ts).
 */
export const ReduceMean: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const x = ctx.input(0);
    const xShape = ctx.shape(x);
    const axes = reducedAxes(ctx, xShape.length);
    if (axes === null) return [g];
    const count = ctx.op('Div', [ctx.op('Size', [x]), ctx.op('Size', [ctx.output(0)])]);
    const reciprocal = ctx.op('Reciprocal', [ctx.op('Cast', [count], { to: ctx.floatType(x) })]);
    const scaled = ctx.op('Mul', [withKeptDims(ctx, g!, axes), reciprocal]);
    return [ctx.expand(scaled, xShape)];
  },
};
