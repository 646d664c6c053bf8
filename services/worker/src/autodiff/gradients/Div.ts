import { sumToShape } from '../broadcast.js';
import type { GradientRule } from '../rule.js';

/** y = a / b: ∂a = g / b, ∂b = −g · y / b. */
export const Div: GradientRule = {
  differentiableInputs: [0, 1],
  backward(ctx, [g]) {
    const y = ctx.shape(ctx.output(0));
    const [a, b] = [ctx.input(0), ctx.input(1)];
    return [
      ctx.needs(0) ? sumToShape(ctx, ctx.op('Div', [g!, b]), y, ctx.shape(a)) : undefined,
      ctx.needs(1)
        ? sumToShape(ctx, ctx.op('Neg', [ctx.op('Div', [ctx.op('Mul', [g!, ctx.output(0)]), b])]), y, ctx.shape(b))
        : undefined,
    ];
  },
};
