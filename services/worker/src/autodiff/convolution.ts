import type { GradientContext } from './context.js';
import { range, type WindowPads } from './shapes.js';

/** Geometry shared by Conv and ConvTranspose (and the pooling gradients that reuse ConvTranspose). */
export interface ConvGeometry {
  group: number;
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: WindowPads;
}

/**
 * Geometry of a Conv or ConvTranspose node from its attributes and ONNX's defaults (kernel from
 * the weights, unit strides and dilations); `pads` resolves the padding, which the two ops read differently.
 */
export function convGeometry(
  ctx: GradientContext,
  spatial: readonly number[],
  weightShape: readonly number[],
  pads: (kernel: number[], strides: number[], dilations: number[]) => WindowPads,
): ConvGeometry {
  const kernel = ctx.ints('kernel_shape') ?? weightShape.slice(2);
  const strides = ctx.ints('strides') ?? spatial.map(() => 1);
  const dilations = ctx.ints('dilations') ?? spatial.map(() => 1);
  return { group: ctx.int('group', 1), kernel, strides, dilations, pads: pads(kernel, strides, dilations) };
}

export function convAttributes(geometry: ConvGeometry, padEnd: 'forward' | 'zero'): Record<string, number | number[]> {
  const end = padEnd === 'forward' ? geometry.pads.end : geometry.pads.end.map(() => 0);
  return {
    group: geometry.group,
    strides: geometry.strides,
    dilations: geometry.dilations,
    pads: [...geometry.pads.begin, ...end],
  };
}

/**
 * Brings the spatial axes (2…) of `t` from `shape` to `target` by cropping or zero-padding at the
 * end: transposed convolutions cover the padded input, which may be longer or shorter than it.
 */
export function fitSpatial(
  ctx: GradientContext,
  t: string,
  shape: readonly number[],
  target: readonly number[],
): string {
  const axes = range(shape.length).filter((k) => k >= 2 && shape[k] !== target[k]);
  const crop = axes.filter((k) => target[k]! < shape[k]!);
  let out = t;
  if (crop.length > 0) {
    out = ctx.slice(
      out,
      crop.map(() => 0),
      crop.map((k) => target[k]!),
      crop,
    );
  }
  const grow = axes.filter((k) => target[k]! > shape[k]!);
  if (grow.length > 0) {
    out = ctx.pad(
      out,
      shape.map(() => 0),
      shape.map((d, k) => (grow.includes(k) ? target[k]! - d : 0)),
    );
  }
  return out;
}

/** Spatial length of ConvTranspose output with begin pads only (no end pads, no output padding). */
export function transposedLength(
  inLength: number,
  stride: number,
  kernel: number,
  dilation: number,
  padBegin: number,
): number {
  return stride * (inLength - 1) + (kernel - 1) * dilation + 1 - padBegin;
}

/**
 * ∂L/∂W of y = Conv(x, W) for upstream `gy`, as one more convolution: the batch axis becomes the
 * channel axis and gy the kernel, with stride and dilation exchanged. Groups stay groups: channel
 * blocks of x and gy are laid out so group j of the new conv pairs x's and gy's block j.
 * Returns a tensor of shape [M, C / group, ...kernel].
 */
export function convWeightGradient(
  ctx: GradientContext,
  x: string,
  xShape: readonly number[],
  gy: string,
  gyShape: readonly number[],
  geometry: ConvGeometry,
): string {
  const { group: g, kernel, strides, dilations, pads } = geometry;
  const [n, c] = xShape as [number, number];
  const m = gyShape[1]!;
  const spatial = xShape.slice(2);
  const outSpatial = gyShape.slice(2);
  const rank = xShape.length;
  const tail = range(rank - 2, 3);
  let xr: string;
  let kr: string;
  if (g === 1) {
    xr = ctx.transpose(x, [1, 0, ...range(rank - 2, 2)]);
    kr = ctx.transpose(gy, [1, 0, ...range(rank - 2, 2)]);
  } else {
    const xg = ctx.transpose(ctx.reshape(x, [n, g, c / g, ...spatial]), [2, 1, 0, ...tail]);
    xr = ctx.reshape(xg, [c / g, g * n, ...spatial]);
    const kg = ctx.transpose(ctx.reshape(gy, [n, g, m / g, ...outSpatial]), [1, 2, 0, ...tail]);
    kr = ctx.reshape(kg, [m, n, ...outSpatial]);
  }
  const full = ctx.op('Conv', [xr, kr], {
    group: g,
    strides: dilations,
    dilations: strides,
    pads: [...pads.begin, ...pads.end],
  });
  const reached = spatial.map(
    (len, k) =>
      Math.floor((len + pads.begin[k]! + pads.end[k]! - (outSpatial[k]! - 1) * strides[k]! - 1) / dilations[k]!) + 1,
  );
  if (reached.some((len, k) => len < kernel[k]!)) ctx.fail('the weight-gradient convolution does not cover the kernel');
  const cropped = reached.some((len, k) => len !== kernel[k])
    ? ctx.slice(
        full,
        kernel.map(() => 0),
        kernel,
        range(kernel.length, 2),
      )
    : full;
  return ctx.transpose(cropped, [1, 0, ...range(rank - 2, 2)]);
}
