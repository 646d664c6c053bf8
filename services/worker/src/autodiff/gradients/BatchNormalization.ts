import type { GradientRule } from '../rule.js';
import { range } from '../shapes.js';

/**
 * Inference mode only: y = (x − mean) / √(var + ε) · scale + B with fixed statistics, an affine
 * map per channel. Training mode (batch statistics) is refused.
 */
export const BatchNormalization: GradientRule = {
  differentiableInputs: [0, 1, 2],
  backward(ctx, [g]) {
    if (ctx.int('training_mode', 0) === 1 || ctx.node.output.filter((o) => o !== '').length > 1) {
      ctx.fail('BatchNormalization in training mode is not differentiable; export the model in eval mode');
    }
    const [x, scale, , mean, variance] = [0, 1, 2, 3, 4].map((k) => ctx.input(k)) as [
      string,
      string,
      string,
      string,
      string,
    ];
    const xShape = ctx.shape(x);
    const channelShape = xShape.map((d, k) => (k === 1 ? d : 1));
    const reduceAxes = [0, ...range(xShape.length - 2, 2)];
    const invStd = ctx.reshape(
      ctx.op('Reciprocal', [ctx.op('Sqrt', [ctx.op('Add', [variance, ctx.scalar(ctx.float('epsilon', 1e-5), x)])])]),
      channelShape,
    );
    const gx = ctx.needs(0)
      ? ctx.op('Mul', [g!, ctx.op('Mul', [ctx.reshape(scale, channelShape), invStd])])
      : undefined;
    const gScale = ctx.needs(1)
      ? ctx.reduceSum(
          ctx.op('Mul', [g!, ctx.op('Mul', [ctx.op('Sub', [x, ctx.reshape(mean, channelShape)]), invStd])]),
          reduceAxes,
          false,
        )
      : undefined;
    const gBias = ctx.needs(2) ? ctx.reduceSum(g!, reduceAxes, false) : undefined;
    return [gx, gScale, gBias];
  },
};
