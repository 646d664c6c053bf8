import { sumToShape } from '../broadcast.js';
import type { GradientRule } from '../rule.js';

export const Add: GradientRule = {
  differentiableInputs: [0, 1],
  backward(ctx, [g]) {
    const y = ctx.shape(ctx.output(0));
    return [0, 1].map((k) => (ctx.needs(k) ? sumToShape(ctx, g!, y, ctx.shape(ctx.input(k))) : undefined));
  },
};
