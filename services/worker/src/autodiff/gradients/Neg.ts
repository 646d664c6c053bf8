import type { GradientRule } from '../rule.js';

export const Neg: GradientRule = {
  differentiableInputs: [0],
  backward: (ctx, [g]) => [ctx.op('Neg', [g!])],
};
