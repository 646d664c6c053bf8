import type { GradientRule } from '../rule.js';

/** Axis k of y is repeats[k] copies of x's axis k: split it into (copy, x axis) and sum the copies. */
export const Tile: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const xShape = ctx.shape(ctx.input(0));
    const repeats = ctx.constantNumbers(ctx.input(1), 'repeats');
    if (repeats.every((r) => r === 1)) return [g];
    const split = ctx.reshape(
      g!,
      xShape.flatMap((d, k) => [repeats[k]!, d]),
    );
    return [
      ctx.reduceSum(
        split,
        xShape.map((_, k) => 2 * k),
        false,
      ),
    ];
  },
};
