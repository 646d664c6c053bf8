import type { GradientContext } from './context.js';
import { range, sameShape } from './shapes.js';

/**
 * Reduces a gradient of broadcast shape `from` back to the shape `to` of an operand that was
 * broadcast (numpy rules): sums over the leading axes `to` lacks and over axes where `to` has 1.
 */
export function sumToShape(ctx: GradientContext, g: string, from: readonly number[], to: readonly number[]): string {
  if (sameShape(from, to)) return g;
  const lead = from.length - to.length;
  if (lead < 0) ctx.fail(`cannot reduce a gradient of rank ${from.length} to rank ${to.length}`);
  const axes = range(from.length).filter((k) => k < lead || (to[k - lead] === 1 && from[k] !== 1));
  const summed = ctx.reduceSum(g, axes, true);
  const keptShape = from.map((d, k) => (axes.includes(k) ? 1 : d));
  return ctx.reshapeIfNeeded(summed, keptShape, to);
}
