import { fitSpatial, transposedLength } from '../convolution.js';
import { poolGeometry } from '../pooling.js';
import type { GradientRule } from '../rule.js';
import { product, range } from '../shapes.js';

/**
 * g goes to the first position of each window (in row-major order, the one ONNX Runtime and torch
 * pick) that holds the maximum. For each kernel offset the strided view of the (−∞-padded) input
 * is compared with y; positions already claimed by an earlier offset are masked out. The masked
 * gradients, stacked as K channels per input channel, are put back in place by one depthwise
 * ConvTranspose whose kernel for offset q is the one-hot at q. No scatter op is needed, so this
 * works in every opset and accumulates overlapping windows.
 */
export const MaxPool: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, upstream) {
    const g = upstream[0] ?? ctx.fail('only the values output of MaxPool carries a gradient');
    const x = ctx.input(0);
    const y = ctx.output(0);
    const xShape = ctx.shape(x);
    const yShape = ctx.shape(y);
    if (ctx.int('storage_order', 0) !== 0) ctx.fail('storage_order=1 is not supported');
    const { kernel, strides, dilations, pads } = poolGeometry(ctx, xShape);
    const spatial = xShape.slice(2);
    const outSpatial = yShape.slice(2);
    const axes = range(spatial.length, 2);
    const paddedLength = spatial.map((len, k) =>
      Math.max(
        len + pads.begin[k]! + pads.end[k]!,
        (outSpatial[k]! - 1) * strides[k]! + (kernel[k]! - 1) * dilations[k]! + 1,
      ),
    );
    const padded = ctx.op(
      'Pad',
      [
        x,
        ctx.int64s([0, 0, ...pads.begin, 0, 0, ...paddedLength.map((len, k) => len - spatial[k]! - pads.begin[k]!)]),
        ctx.scalar(-Infinity, x),
      ],
      { mode: 'constant' },
    );
    const offsets = kernelOffsets(kernel);
    const zero = ctx.scalar(0, x);
    let claimed: string | undefined;
    const parts = offsets.map((offset) => {
      const starts = offset.map((o, k) => o * dilations[k]!);
      const view = ctx.slice(
        padded,
        starts,
        starts.map((s, k) => s + (outSpatial[k]! - 1) * strides[k]! + 1),
        axes,
        strides,
      );
      const isMax = ctx.op('Equal', [view, y]);
      const mine = claimed === undefined ? isMax : ctx.op('And', [isMax, ctx.op('Not', [claimed])]);
      claimed = claimed === undefined ? isMax : ctx.op('Or', [claimed, isMax]);
      return ctx.op('Unsqueeze', [ctx.op('Where', [mine, g, zero]), ctx.int64s([2])]);
    });
    const [n, c] = xShape as [number, number];
    const k = offsets.length;
    const stacked = ctx.reshape(k === 1 ? parts[0]! : ctx.op('Concat', parts, { axis: 2 }), [n, c * k, ...outSpatial]);
    const kernelSize = product(kernel);
    const oneHot = new Array<number>(c * k * kernelSize).fill(0);
    for (let ch = 0; ch < c; ch += 1) for (let q = 0; q < k; q += 1) oneHot[(ch * k + q) * kernelSize + q] = 1;
    const placed = ctx.op('ConvTranspose', [stacked, ctx.floats(oneHot, [c * k, 1, ...kernel], x)], {
      group: c,
      strides,
      dilations,
      pads: [...pads.begin, ...pads.begin.map(() => 0)],
    });
    const placedShape = [
      n,
      c,
      ...outSpatial.map((len, a) => transposedLength(len, strides[a]!, kernel[a]!, dilations[a]!, pads.begin[a]!)),
    ];
    return [fitSpatial(ctx, placed, placedShape, xShape)];
  },
};

/** All kernel offsets in row-major order (the order windows are scanned in). */
function kernelOffsets(kernel: readonly number[]): number[][] {
  return range(product(kernel)).map((flat) => {
    const offset = new Array<number>(kernel.length);
    let rest = flat;
    for (let k = kernel.length - 1; k >= 0; k -= 1) {
      offset[k] = rest % kernel[k]!;
      rest = Math.floor(rest / kernel[k]!);
    }
    return offset;
  });
}
