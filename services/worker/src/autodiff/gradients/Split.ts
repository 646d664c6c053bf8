import type { GradientRule } from '../rule.js';
import { normalizeAxis } from '../shapes.js';

/** Concatenates the parts' gradients, with zeros for parts no gradient reached. */
export const Split: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, upstream) {
    const x = ctx.input(0);
    const axis = normalizeAxis(ctx.int('axis', 0), ctx.shape(x).length);
    const parts = ctx.node.output.map((name, k) => upstream[k] ?? ctx.zeros(ctx.shape(name), x));
    return [parts.length === 1 ? parts[0] : ctx.op('Concat', parts, { axis })];
  },
};
