import { sumToShape } from '../broadcast.js';
import type { GradientRule } from '../rule.js';

/** y = x^e: ∂x = g · e · x^(e−1) (as torch computes it), ∂e = g · y · ln x. */
export const Pow: GradientRule = {
  differentiableInputs: [0, 1],
  backward(ctx, [g]) {
    const y = ctx.shape(ctx.output(0));
    const [x, e] = [ctx.input(0), ctx.input(1)];
    const xType = ctx.floatType(x);
    const exponent = ctx.elemType(e) === xType ? e : ctx.op('Cast', [e], { to: xType });
    const gx = ctx.needs(0)
      ? sumToShape(
          ctx,
          ctx.op('Mul', [
            ctx.op('Mul', [g!, exponent]),
            ctx.op('Pow', [x, ctx.op('Sub', [exponent, ctx.scalar(1, x)])]),
          ]),
          y,
          ctx.shape(x),
        )
      : undefined;
    const ge = ctx.needs(1)
      ? sumToShape(ctx, ctx.op('Mul', [ctx.op('Mul', [g!, ctx.output(0)]), ctx.op('Log', [x])]), y, ctx.shape(e))
      : undefined;
    return [gx, ge];
  },
};
