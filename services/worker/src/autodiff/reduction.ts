import type { GradientContext } from './context.js';
import { normalizeAxis, range } from './shapes.js';

/**
 * The axes a Reduce* node reduces: from the `axes` attribute (ReduceMean/L2 before opset 18) or
 * the `axes` input (ReduceSum from opset 13). None given means all axes, unless
 * noop_with_empty_axes makes the node an identity (then null).
 */
export function reducedAxes(ctx: GradientContext, rank: number): number[] | null {
  const fromAttribute = ctx.ints('axes');
  const axes = fromAttribute ?? (ctx.hasInput(1) ? ctx.constantNumbers(ctx.input(1), 'axes') : []);
  if (axes.length === 0) return ctx.int('noop_with_empty_axes', 0) ? null : range(rank);
  return axes.map((a) => normalizeAxis(a, rank));
}

/** Shape of the reduced tensor with the reduced axes kept as 1, whatever keepdims says. */
export function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, k) => (axes.includes(k) ? 1 : d));
}

/** Reshapes a reduced tensor (or its gradient) to kept-dims form, ready to broadcast against the input. */
export function withKeptDims(ctx: GradientContext, t: string, axes: readonly number[]): string {
  const xShape = ctx.shape(ctx.input(0));
  return ctx.reshapeIfNeeded(t, ctx.shape(ctx.output(0)), keptShape(xShape, axes));
}
