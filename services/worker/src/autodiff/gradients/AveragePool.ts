import { fitSpatial, transposedLength } from '../convolution.js';
import { poolGeometry } from '../pooling.js';
import type { GradientRule } from '../rule.js';
import { product, range } from '../shapes.js';

/**
 * Each output spreads g / divisor evenly over its window: a depthwise ConvTranspose with a kernel
 * of ones applied to g scaled by the per-position divisors, which follow ONNX Runtime (windows
 * clipped to the padded input; padding counted only with count_include_pad).
 */
export const AveragePool: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const x = ctx.input(0);
    const xShape = ctx.shape(x);
    const yShape = ctx.shape(ctx.output(0));
    const channels = xShape[1]!;
    const { kernel, strides, pads } = poolGeometry(ctx, xShape);
    const includePad = ctx.int('count_include_pad', 0) === 1;
    const spatial = xShape.slice(2);
    const outSpatial = yShape.slice(2);
    const perAxis = outSpatial.map((count, k) =>
      range(count).map((o) => {
        const start = o * strides[k]! - pads.begin[k]!;
        const end = Math.min(start + kernel[k]!, spatial[k]! + pads.end[k]!);
        return includePad ? end - start : Math.min(end, spatial[k]!) - Math.max(start, 0);
      }),
    );
    const inverse = range(product(outSpatial)).map((flat) => {
      let rest = flat;
      let divisor = 1;
      for (let k = outSpatial.length - 1; k >= 0; k -= 1) {
        divisor *= perAxis[k]![rest % outSpatial[k]!]!;
        rest = Math.floor(rest / outSpatial[k]!);
      }
      return 1 / divisor;
    });
    const scaled = ctx.op('Mul', [g!, ctx.floats(inverse, [1, 1, ...outSpatial], x)]);
    const ones = ctx.floats(new Array<number>(channels * product(kernel)).fill(1), [channels, 1, ...kernel], x);
    const spread = ctx.op('ConvTranspose', [scaled, ones], {
      group: channels,
      strides,
      pads: [...pads.begin, ...pads.begin.map(() => 0)],
    });
    const spreadShape = [
      yShape[0]!,
      channels,
      ...outSpatial.map((len, k) => transposedLength(len, strides[k]!, kernel[k]!, 1, pads.begin[k]!)),
    ];
    return [fitSpatial(ctx, spread, spreadShape, xShape)];
  },
};
