import type { GradientRule } from '../rule.js';
import { normalizeAxis } from '../shapes.js';

export const Concat: GradientRule = {
  differentiableInputs: 'all',
  backward(ctx, [g]) {
    const rank = ctx.shape(ctx.output(0)).length;
    const axis = normalizeAxis(ctx.int('axis', 0), rank);
    let offset = 0;
    return ctx.node.input.map((name, k) => {
      const length = ctx.shape(name)[axis]!;
      const start = offset;
      offset += length;
      return ctx.needs(k) ? ctx.slice(g!, [start], [start + length], [axis]) : undefined;
    });
  },
};
