import { applyAlongAxis, scatterMatrix } from '../axisMatrix.js';
import type { GradientRule } from '../rule.js';
import { normalizeAxis, range } from '../shapes.js';

/**
 * constant: the gradient is the unpadded window (negative pads, which crop, are padded back).
 * edge / reflect: every output position copies one input position, so the gradient scatters
 * through a static 0/1 matrix along each padded axis.
 */
export const Pad: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const x = ctx.input(0);
    const xShape = ctx.shape(x);
    const yShape = ctx.shape(ctx.output(0));
    const rank = xShape.length;
    const values = ctx.constantNumbers(ctx.input(1), 'pads');
    const axes = ctx.hasInput(3)
      ? ctx.constantNumbers(ctx.input(3), 'axes').map((a) => normalizeAxis(a, rank))
      : range(rank);
    const begin = new Array<number>(rank).fill(0);
    const end = new Array<number>(rank).fill(0);
    axes.forEach((axis, k) => {
      begin[axis] = values[k]!;
      end[axis] = values[k + axes.length]!;
    });
    const mode = ctx.string('mode', 'constant');
    if (mode === 'constant') {
      const cropAxes = range(rank).filter((k) => begin[k]! > 0 || end[k]! > 0);
      const inner =
        cropAxes.length === 0
          ? g!
          : ctx.slice(
              g!,
              cropAxes.map((k) => Math.max(begin[k]!, 0)),
              cropAxes.map((k) => yShape[k]! - Math.max(end[k]!, 0)),
              cropAxes,
            );
      return [
        ctx.pad(
          inner,
          begin.map((p) => Math.max(-p, 0)),
          end.map((p) => Math.max(-p, 0)),
        ),
      ];
    }
    if (mode !== 'edge' && mode !== 'reflect')
      ctx.fail(`Pad mode "${mode}" is not differentiable here (constant, edge and reflect are)`);
    let out = g!;
    let shape = [...yShape];
    for (const axis of range(rank).filter((k) => begin[k] !== 0 || end[k] !== 0)) {
      const dim = xShape[axis]!;
      const source = range(yShape[axis]!).map((j) =>
        mode === 'edge' ? clamp(j - begin[axis]!, dim) : reflect(j - begin[axis]!, dim),
      );
      ({ tensor: out, shape } = applyAlongAxis(ctx, out, shape, axis, scatterMatrix(source, dim), x));
    }
    return [out];
  },
};

function clamp(i: number, dim: number): number {
  return Math.min(Math.max(i, 0), dim - 1);
}

function reflect(i: number, dim: number): number {
  if (dim === 1) return 0;
  const period = 2 * (dim - 1);
  const m = ((i % period) + period) % period;
  return m < dim ? m : period - m;
}
