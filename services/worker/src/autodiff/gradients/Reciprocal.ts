import type { GradientRule } from '../rule.js';

/** y = 1/x: ∂x = −g · y². */
export const Reciprocal: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const y = ctx.output(0);
    return [ctx.op('Neg', [ctx.op('Mul', [g!, ctx.op('Mul', [y, y])])])];
  },
};
