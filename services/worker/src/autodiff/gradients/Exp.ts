import type { GradientRule } from '../rule.js';

export const Exp: GradientRule = {
  differentiableInputs: [0],
  backward: (ctx, [g]) => [ctx.op('Mul', [g!, ctx.output(0)])],
};
