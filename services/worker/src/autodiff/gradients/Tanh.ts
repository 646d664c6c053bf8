import type { GradientRule } from '../rule.js';

/** ∂x = g · (1 − y²). */
export const Tanh: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const y = ctx.output(0);
    return [ctx.op('Mul', [g!, ctx.op('Sub', [ctx.scalar(1, y), ctx.op('Mul', [y, y])])])];
  },
};
