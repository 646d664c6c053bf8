import type { GradientRule } from '../rule.js';
import { inversePermutation, range } from '../shapes.js';

export const Transpose: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const rank = ctx.shape(ctx.input(0)).length;
    const perm = ctx.ints('perm') ?? range(rank).reverse();
    return [ctx.transpose(g!, inversePermutation(perm))];
  },
};
