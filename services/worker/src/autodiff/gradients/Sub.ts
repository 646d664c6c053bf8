import { sumToShape } from '../broadcast.js';
import type { GradientRule } from '../rule.js';

export const Sub: GradientRule = {
  differentiableInputs: [0, 1],
  backward(ctx, [g]) {
    const y = ctx.shape(ctx.output(0));
    return [
      ctx.needs(0) ? sumToShape(ctx, g!, y, ctx.shape(ctx.input(0))) : undefined,
      ctx.needs(1) ? sumToShape(ctx, ctx.op('Neg', [g!]), y, ctx.shape(ctx.input(1))) : undefined,
    ];
  },
};
