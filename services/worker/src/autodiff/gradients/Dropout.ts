import type { GradientRule } from '../rule.js';

/** Inference-mode Dropout is the identity; training mode would need its mask and is refused. */
export const Dropout: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const training = ctx.hasInput(2) ? ctx.constantNumbers(ctx.input(2), 'training_mode')[0] : 0;
    if (training) ctx.fail('Dropout in training mode is not differentiable; export the model in eval mode');
    return [g];
  },
};
