import { sumToShape } from '../broadcast.js';
import type { GradientRule } from '../rule.js';

export const Mul: GradientRule = {
  differentiableInputs: [0, 1],
  backward(ctx, [g]) {
    const y = ctx.shape(ctx.output(0));
    const [a, b] = [ctx.input(0), ctx.input(1)];
    return [
      ctx.needs(0) ? sumToShape(ctx, ctx.op('Mul', [g!, b]), y, ctx.shape(a)) : undefined,
      ctx.needs(1) ? sumToShape(ctx, ctx.op('Mul', [g!, a]), y, ctx.shape(b)) : undefined,
    ];
  },
};
