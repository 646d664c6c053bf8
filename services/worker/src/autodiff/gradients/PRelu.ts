import { sumToShape } from '../broadcast.js';
import type { GradientRule } from '../rule.js';

/** y = x > 0 ? x : slope · x, slope broadcast to x. */
export const PRelu: GradientRule = {
  differentiableInputs: [0, 1],
  backward(ctx, [g]) {
    const [x, slope] = [ctx.input(0), ctx.input(1)];
    const positive = ctx.op('Greater', [x, ctx.scalar(0, x)]);
    const zero = ctx.scalar(0, x);
    return [
      ctx.needs(0) ? ctx.op('Where', [positive, g!, ctx.op('Mul', [g!, slope])]) : undefined,
      ctx.needs(1)
        ? sumToShape(ctx, ctx.op('Where', [positive, zero, ctx.op('Mul', [g!, x])]), ctx.shape(x), ctx.shape(slope))
        : undefined,
    ];
  },
};
