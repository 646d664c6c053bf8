import type { GradientRule } from '../rule.js';

export const Relu: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const x = ctx.input(0);
    return [ctx.op('Where', [ctx.op('Greater', [x, ctx.scalar(0, x)]), g!, ctx.scalar(0, x)])];
  },
};
