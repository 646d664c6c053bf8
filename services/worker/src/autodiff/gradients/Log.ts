import type { GradientRule } from '../rule.js';

export const Log: GradientRule = {
  differentiableInputs: [0],
  backward: (ctx, [g]) => [ctx.op('Div', [g!, ctx.input(0)])],
};
