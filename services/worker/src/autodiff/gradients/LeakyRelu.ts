import type { GradientRule } from '../rule.js';

/** Slope 1 where x > 0 and alpha elsewhere (x = 0 included, as torch does). */
export const LeakyRelu: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const x = ctx.input(0);
    const alpha = ctx.float('alpha', 0.01);
    return [ctx.op('Where', [ctx.op('Greater', [x, ctx.scalar(0, x)]), g!, ctx.op('Mul', [g!, ctx.scalar(alpha, x)])])];
  },
};
