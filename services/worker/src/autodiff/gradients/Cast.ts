import type { GradientRule } from '../rule.js';

/** Float-to-float casts carry the gradient back in the input's precision (integer casts carry none). */
export const Cast: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const inputType = ctx.floatType(ctx.input(0));
    return [inputType === ctx.elemType(ctx.output(0)) ? g : ctx.op('Cast', [g!], { to: inputType })];
  },
};
