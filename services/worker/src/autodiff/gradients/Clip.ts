import type { GradientRule } from '../rule.js';

/** Gradient passes where min ≤ x ≤ max (bounds included, as torch.clamp's backward does). */
export const Clip: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const x = ctx.input(0);
    const conditions: string[] = [];
    if (ctx.hasInput(1)) conditions.push(ctx.op('GreaterOrEqual', [x, ctx.input(1)]));
    if (ctx.hasInput(2)) conditions.push(ctx.op('LessOrEqual', [x, ctx.input(2)]));
    if (conditions.length === 0) return [g];
    const inside = conditions.length === 2 ? ctx.op('And', conditions) : conditions[0]!;
    return [ctx.op('Where', [inside, g!, ctx.scalar(0, x)])];
  },
};
