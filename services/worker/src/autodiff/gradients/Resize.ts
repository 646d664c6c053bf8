import { applyAlongAxis, transposeMatrix } from '../axisMatrix.js';
import type { GradientContext } from '../context.js';
import type { GradientRule } from '../rule.js';
import { range } from '../shapes.js';

/**
 * Nearest and linear resize are separable linear maps: along each resized axis, output position j
 * takes fixed weights of input positions. The gradient applies the transposed weight matrices.
 * The weights follow ONNX Runtime's coordinate transforms and rounding.
 */
export const Resize: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const x = ctx.input(0);
    const xShape = ctx.shape(x);
    const yShape = ctx.shape(ctx.output(0));
    const mode = ctx.string('mode', 'nearest');
    if (mode !== 'nearest' && mode !== 'linear')
      ctx.fail(`Resize mode "${mode}" is not differentiable here (nearest and linear are)`);
    const transform = ctx.string('coordinate_transformation_mode', 'half_pixel');
    const scales = resizeScales(ctx, xShape, yShape);
    let out = g!;
    let shape = [...yShape];
    for (const axis of range(xShape.length)) {
      if (xShape[axis] === yShape[axis] && scales[axis] === 1) continue;
      const weights = range(yShape[axis]!).map((j) => {
        const source = sourceCoordinate(ctx, transform, j, scales[axis]!, xShape[axis]!, yShape[axis]!);
        return mode === 'nearest' ? nearestWeights(ctx, source, xShape[axis]!) : linearWeights(source, xShape[axis]!);
      });
      ({ tensor: out, shape } = applyAlongAxis(ctx, out, shape, axis, transposeMatrix(weights, xShape[axis]!), x));
    }
    return [out];
  },
};

function resizeScales(ctx: GradientContext, xShape: readonly number[], yShape: readonly number[]): number[] {
  if (ctx.hasInput(2)) {
    const scales = ctx.constantNumbers(ctx.input(2), 'scales');
    if (scales.length > 0) return scales;
  }
  return xShape.map((d, k) => yShape[k]! / d);
}

function sourceCoordinate(
  ctx: GradientContext,
  transform: string,
  j: number,
  scale: number,
  inLength: number,
  outLength: number,
): number {
  switch (transform) {
    case 'half_pixel':
      return (j + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel':
      return outLength > 1 ? (j + 0.5) / scale - 0.5 : 0;
    case 'align_corners':
      return outLength === 1 ? 0 : (j * (inLength - 1)) / (outLength - 1);
    case 'asymmetric':
      return j / scale;
    case 'tf_half_pixel_for_nn':
      return (j + 0.5) / scale;
    default:
      return ctx.fail(`Resize coordinate_transformation_mode "${transform}" is not supported`);
  }
}

function nearestWeights(ctx: GradientContext, source: number, inLength: number): number[] {
  const mode = ctx.string('nearest_mode', 'round_prefer_floor');
  let index: number;
  switch (mode) {
    case 'round_prefer_floor':
      index = source === Math.floor(source) + 0.5 ? Math.floor(source) : Math.round(source);
      break;
    case 'round_prefer_ceil':
      index = Math.round(source);
      break;
    case 'floor':
      index = Math.floor(source);
      break;
    case 'ceil':
      index = Math.ceil(source);
      break;
    default:
      return ctx.fail(`Resize nearest_mode "${mode}" is not supported`);
  }
  const row = new Array<number>(inLength).fill(0);
  row[Math.min(Math.max(index, 0), inLength - 1)] = 1;
  return row;
}

function linearWeights(source: number, inLength: number): number[] {
  const clamped = Math.min(Math.max(source, 0), inLength - 1);
  const low = Math.floor(clamped);
  const high = Math.min(low + 1, inLength - 1);
  const row = new Array<number>(inLength).fill(0);
  row[low]! += 1 - (clamped - low);
  row[high]! += clamped - low;
  return row;
}
