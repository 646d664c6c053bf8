import { sumToShape } from '../broadcast.js';
import type { GradientRule } from '../rule.js';

/**
 * y = α·A'·B' + β·C with A' = transA ? Aᵀ : A, B' likewise. Each operand gradient is itself one
 * Gemm whose transpose flags absorb the transposes.
 */
export const Gemm: GradientRule = {
  differentiableInputs: [0, 1, 2],
  backward(ctx, [g]) {
    const [a, b, c] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    const alpha = { float: ctx.float('alpha', 1) };
    const beta = ctx.float('beta', 1);
    const transA = ctx.int('transA', 0);
    const transB = ctx.int('transB', 0);
    let ga: string | undefined;
    if (ctx.needs(0)) {
      ga = transA
        ? ctx.op('Gemm', [b, g!], { alpha, transA: transB, transB: 1 })
        : ctx.op('Gemm', [g!, b], { alpha, transA: 0, transB: transB ? 0 : 1 });
    }
    let gb: string | undefined;
    if (ctx.needs(1)) {
      gb = transB
        ? ctx.op('Gemm', [g!, a], { alpha, transA: 1, transB: transA })
        : ctx.op('Gemm', [a, g!], { alpha, transA: transA ? 0 : 1, transB: 0 });
    }
    let gc: string | undefined;
    if (ctx.needs(2)) {
      const scaled = beta === 1 ? g! : ctx.op('Mul', [g!, ctx.scalar(beta, c)]);
      gc = sumToShape(ctx, scaled, ctx.shape(ctx.output(0)), ctx.shape(c));
    }
    return [ga, gb, gc];
  },
};
