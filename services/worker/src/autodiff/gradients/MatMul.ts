import { sumToShape } from '../broadcast.js';
import type { GradientRule } from '../rule.js';
import { broadcastShape, range } from '../shapes.js';

/**
 * Numpy matmul: 1-D operands are promoted to matrices (a row for A, a column for B) and batch
 * axes broadcast, so each gradient is a matmul with the other operand's last two axes swapped,
 * summed back over broadcast batch axes.
 */
export const MatMul: GradientRule = {
  differentiableInputs: [0, 1],
  backward(ctx, [g]) {
    const [a, b] = [ctx.input(0), ctx.input(1)];
    const aShape = ctx.shape(a);
    const bShape = ctx.shape(b);
    const a2 = aShape.length === 1 ? [1, aShape[0]!] : aShape;
    const b2 = bShape.length === 1 ? [bShape[0]!, 1] : bShape;
    const batch = broadcastShape(a2.slice(0, -2), b2.slice(0, -2));
    const m = a2[a2.length - 2]!;
    const k = a2[a2.length - 1]!;
    const n = b2[b2.length - 1]!;
    const g2 = ctx.reshapeIfNeeded(g!, ctx.shape(ctx.output(0)), [...batch, m, n]);
    const swapLast = (rank: number): number[] => [...range(rank - 2), rank - 1, rank - 2];
    let ga: string | undefined;
    if (ctx.needs(0)) {
      const bm = ctx.reshapeIfNeeded(b, bShape, b2);
      const full = ctx.op('MatMul', [g2, ctx.transpose(bm, swapLast(b2.length))]);
      ga = ctx.reshapeIfNeeded(sumToShape(ctx, full, [...batch, m, k], a2), a2, aShape);
    }
    let gb: string | undefined;
    if (ctx.needs(1)) {
      const am = ctx.reshapeIfNeeded(a, aShape, a2);
      const full = ctx.op('MatMul', [ctx.transpose(am, swapLast(a2.length)), g2]);
      gb = ctx.reshapeIfNeeded(sumToShape(ctx, full, [...batch, k, n], b2), b2, bShape);
    }
    return [ga, gb];
  },
};
