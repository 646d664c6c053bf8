import type { GradientRule } from '../rule.js';

export const Identity: GradientRule = {
  differentiableInputs: [0],
  backward: (_ctx, [g]) => [g],
};
