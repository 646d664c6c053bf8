import type { GradientRule } from '../rule.js';

/** ∂x = −g · sin x. */
export const Cos: GradientRule = {
  differentiableInputs: [0],
  backward: (ctx, [g]) => [ctx.op('Neg', [ctx.op('Mul', [g!, ctx.op('Sin', [ctx.input(0)])])])],
};
