import type { GradientRule } from '../rule.js';
import { product } from '../shapes.js';

export const GlobalAveragePool: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const x = ctx.input(0);
    const xShape = ctx.shape(x);
    const scaled = ctx.op('Mul', [g!, ctx.scalar(1 / product(xShape.slice(2)), x)]);
    return [ctx.expand(scaled, xShape)];
  },
};
