import type { GradientRule } from '../rule.js';

/** ∂x = g / (2 √x). */
export const Sqrt: GradientRule = {
  differentiableInputs: [0],
  backward: (ctx, [g]) => [ctx.op('Div', [ctx.op('Mul', [g!, ctx.scalar(0.5, ctx.input(0))]), ctx.output(0)])],
};
