import type { GradientRule } from '../rule.js';

export const Flatten: GradientRule = {
  differentiableInputs: [0],
  backward: (ctx, [g]) => [ctx.reshape(g!, ctx.shape(ctx.input(0)))],
};
