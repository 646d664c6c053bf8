import type { GradientRule } from '../rule.js';

/** ∂x = g · y · (1 − y). */
export const Sigmoid: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const y = ctx.output(0);
    return [ctx.op('Mul', [g!, ctx.op('Mul', [y, ctx.op('Sub', [ctx.scalar(1, y), y])])])];
  },
};
