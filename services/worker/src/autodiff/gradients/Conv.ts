import { convAttributes, convGeometry, convWeightGradient, fitSpatial, transposedLength } from '../convolution.js';
import type { GradientRule } from '../rule.js';
import { range, resolveWindowPads } from '../shapes.js';

/**
 * ∂x is the transposed convolution of g with the same weights (cropped or padded to x's extent,
 * since strided windows may leave trailing input unread); ∂W and ∂b as in convolution.ts.
 */
export const Conv: GradientRule = {
  differentiableInputs: [0, 1, 2],
  backward(ctx, [g]) {
    const [x, w] = [ctx.input(0), ctx.input(1)];
    const xShape = ctx.shape(x);
    const wShape = ctx.shape(w);
    const gShape = ctx.shape(ctx.output(0));
    const spatial = xShape.slice(2);
    const geometry = convGeometry(ctx, spatial, wShape, (kernel, strides, dilations) =>
      resolveWindowPads(ctx.string('auto_pad', 'NOTSET'), ctx.ints('pads'), spatial, kernel, strides, dilations),
    );
    const { kernel, strides, dilations } = geometry;
    let gx: string | undefined;
    if (ctx.needs(0)) {
      const t = ctx.op('ConvTranspose', [g!, w], convAttributes(geometry, 'zero'));
      const tShape = [
        gShape[0]!,
        xShape[1]!,
        ...gShape
          .slice(2)
          .map((len, k) => transposedLength(len, strides[k]!, kernel[k]!, dilations[k]!, geometry.pads.begin[k]!)),
      ];
      gx = fitSpatial(ctx, t, tShape, xShape);
    }
    const gw = ctx.needs(1) ? convWeightGradient(ctx, x, xShape, g!, gShape, geometry) : undefined;
    const gb = ctx.needs(2) ? ctx.reduceSum(g!, [0, ...range(gShape.length - 2, 2)], false) : undefined;
    return [gx, gw, gb];
  },
};
