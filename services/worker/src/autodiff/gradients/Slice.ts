import { applyAlongAxis, scatterMatrix } from '../axisMatrix.js';
import type { GradientContext } from '../context.js';
import type { GradientRule } from '../rule.js';
import { normalizeAxis, range } from '../shapes.js';

interface AxisSlice {
  axis: number;
  first: number;
  step: number;
  count: number;
}

/**
 * Unit-step slices pad the gradient back with zeros; strided or reversed ones scatter it through
 * a static 0/1 matrix along their axis.
 */
export const Slice: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const x = ctx.input(0);
    const xShape = ctx.shape(x);
    const yShape = ctx.shape(ctx.output(0));
    let shape = [...yShape];
    let out = g!;
    const begin = xShape.map(() => 0);
    const end = xShape.map(() => 0);
    for (const s of axisSlices(ctx, xShape)) {
      if (s.count !== yShape[s.axis])
        ctx.fail(`slice along axis ${s.axis} keeps ${s.count} elements but the output has ${yShape[s.axis]}`);
      if (s.step === 1) {
        begin[s.axis] = s.first;
        end[s.axis] = xShape[s.axis]! - s.first - s.count;
      } else {
        const source = range(s.count).map((j) => s.first + j * s.step);
        ({ tensor: out, shape } = applyAlongAxis(ctx, out, shape, s.axis, scatterMatrix(source, xShape[s.axis]!), x));
      }
    }
    return [ctx.pad(out, begin, end)];
  },
};

/** ONNX Slice semantics: negative indices count from the end, then clamp to the axis. */
function axisSlices(ctx: GradientContext, xShape: readonly number[]): AxisSlice[] {
  const starts = ctx.constantNumbers(ctx.input(1), 'starts');
  const ends = ctx.constantNumbers(ctx.input(2), 'ends');
  const axes = ctx.hasInput(3) ? ctx.constantNumbers(ctx.input(3), 'axes') : range(starts.length);
  const steps = ctx.hasInput(4) ? ctx.constantNumbers(ctx.input(4), 'steps') : starts.map(() => 1);
  return axes.map((a, k) => {
    const axis = normalizeAxis(a, xShape.length);
    const dim = xShape[axis]!;
    const step = steps[k]!;
    const rel = (v: number): number => (v < 0 ? v + dim : v);
    if (step > 0) {
      const start = Math.min(Math.max(rel(starts[k]!), 0), dim);
      const stop = Math.min(Math.max(rel(ends[k]!), 0), dim);
      return { axis, first: start, step, count: Math.max(0, Math.ceil((stop - start) / step)) };
    }
    const start = Math.min(Math.max(rel(starts[k]!), 0), dim - 1);
    const stop = Math.min(Math.max(rel(ends[k]!), -1), dim - 1);
    return { axis, first: start, step, count: Math.max(0, Math.ceil((start - stop) / -step)) };
  });
}
