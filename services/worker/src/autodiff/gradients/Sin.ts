import type { GradientRule } from '../rule.js';

/** ∂x = g · cos x (StyleGAN3's Fourier features). */
export const Sin: GradientRule = {
  differentiableInputs: [0],
  backward: (ctx, [g]) => [ctx.op('Mul', [g!, ctx.op('Cos', [ctx.input(0)])])],
};
