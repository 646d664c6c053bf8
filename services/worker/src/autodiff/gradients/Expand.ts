import { sumToShape } from '../broadcast.js';
import type { GradientRule } from '../rule.js';

export const Expand: GradientRule = {
  differentiableInputs: [0],
  backward: (ctx, [g]) => [sumToShape(ctx, g!, ctx.shape(ctx.output(0)), ctx.shape(ctx.input(0)))],
};
