import type { GradientRule } from '../rule.js';

/**
 * y = data with y[indices[k]] = updates[k] (torch.onnx's export of `m[:, 0, 0] = t`, as in
 * StyleGAN3's SynthesisInput). The scattered positions come from updates, the rest from data:
 * ∂updates = GatherND(g, indices); ∂data = g with the scattered positions zeroed, i.e. ScatterND
 * of zeros shaped like updates. Only the default reduction ('none') is linear this way; ONNX
 * leaves duplicate indices undefined for it, so every position is written once.
 */
export const ScatterND: GradientRule = {
  differentiableInputs: [0, 2],
  backward(ctx, [g]) {
    const reduction = ctx.string('reduction', 'none');
    if (reduction !== 'none') ctx.fail(`reduction "${reduction}" has no gradient rule`);
    const indices = ctx.input(1);
    return [
      ctx.needs(0) ? ctx.op('ScatterND', [g!, indices, ctx.zeros(ctx.shape(ctx.input(2)), ctx.input(2))]) : undefined,
      undefined,
      ctx.needs(2) ? ctx.op('GatherND', [g!, indices]) : undefined,
    ];
  },
};
