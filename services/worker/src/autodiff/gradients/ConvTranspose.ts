import { convAttributes, convGeometry, convWeightGradient, fitSpatial } from '../convolution.js';
import type { GradientContext } from '../context.js';
import type { GradientRule } from '../rule.js';
import { range, type WindowPads } from '../shapes.js';

/**
 * ConvTranspose is the adjoint of Conv with the same weights and geometry, so ∂x is that Conv of
 * g, and ∂W is the Conv weight gradient with the roles of input and output exchanged.
 */
export const ConvTranspose: GradientRule = {
  differentiableInputs: [0, 1, 2],
  backward(ctx, [g]) {
    const [x, w] = [ctx.input(0), ctx.input(1)];
    const xShape = ctx.shape(x);
    const wShape = ctx.shape(w);
    const yShape = ctx.shape(ctx.output(0));
    const spatial = xShape.slice(2);
    const geometry = convGeometry(ctx, spatial, wShape, (kernel, strides, dilations) =>
      transposePads(ctx, spatial, yShape.slice(2), kernel, strides, dilations),
    );
    const { kernel, strides, dilations } = geometry;
    let gx: string | undefined;
    if (ctx.needs(0)) {
      const c = ctx.op('Conv', [g!, w], convAttributes(geometry, 'forward'));
      const cShape = [
        yShape[0]!,
        xShape[1]!,
        ...yShape
          .slice(2)
          .map(
            (len, k) =>
              Math.floor(
                (len + geometry.pads.begin[k]! + geometry.pads.end[k]! - (kernel[k]! - 1) * dilations[k]! - 1) /
                  strides[k]!,
              ) + 1,
          ),
      ];
      gx = fitSpatial(ctx, c, cShape, xShape);
    }
    const gw = ctx.needs(1) ? convWeightGradient(ctx, g!, yShape, x, xShape, geometry) : undefined;
    const gb = ctx.needs(2) ? ctx.reduceSum(g!, [0, ...range(yShape.length - 2, 2)], false) : undefined;
    return [gx, gw, gb];
  },
};

/**
 * The pads ONNX Runtime applies: explicit ones, or — with output_shape or SAME_* — the total
 * implied by the output size, split with the odd pixel at the end for SAME_UPPER and at the start
 * otherwise.
 */
function transposePads(
  ctx: GradientContext,
  spatial: readonly number[],
  outSpatial: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
): WindowPads {
  const autoPad = ctx.string('auto_pad', 'NOTSET');
  const outputPadding = ctx.ints('output_padding') ?? spatial.map(() => 0);
  if (ctx.ints('output_shape') || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const begin: number[] = [];
    const end: number[] = [];
    spatial.forEach((len, k) => {
      const total = strides[k]! * (len - 1) + outputPadding[k]! + (kernel[k]! - 1) * dilations[k]! + 1 - outSpatial[k]!;
      const small = Math.floor(total / 2);
      begin.push(autoPad === 'SAME_UPPER' ? small : total - small);
      end.push(total - begin[k]!);
    });
    return { begin, end };
  }
  if (autoPad === 'VALID') return { begin: spatial.map(() => 0), end: spatial.map(() => 0) };
  const pads = ctx.ints('pads') ?? new Array<number>(2 * spatial.length).fill(0);
  return { begin: pads.slice(0, spatial.length), end: pads.slice(spatial.length) };
}
