/**
 * How big the similarity tiles are, and in which precision the GEMM runs, on each execution
 * provider. Both depend only on the provider and the embedding dimension, never on the number of
 * rows or on a caller's setting: the same inputs on the same provider then meet the same tile
 * boundaries and give bit-identical results.
 */
import type { ExecutionProvider } from '../engine/EmbeddingModel.js';

export type TileType = 'float32' | 'float64';

export interface TilePlan {
  /** Rows of each operand of one GEMM call; a tile holds tileRows × tileRows similarities. */
  tileRows: number;
  tileType: TileType;
}

/**
 * MLAS picks its K blocking from the width of the right-hand operand: below 65 columns it widens
 * the K stride, and a dot product then sums in another order (checked in
 * test/services/worker/pairwise/similarityTiles.test.ts). Operands are padded to at least this
 * many rows so that every similarity has the same bits whichever tile it falls in.
 */
export const MIN_PANEL_ROWS = 128;

const MIB = 1024 * 1024;

/**
 * CPU: float32 tiles through MLAS with all cores. The fused per-pair pass reads the tile once
 * after the GEMM wrote it, so the tile (4 bytes a similarity) should stay in the last-level cache:
 * at most 4 MiB, i.e. 1024 × 1024. The two operand panels (tileRows × dim float32 each) are kept
 * under 8 MiB together, which only binds above dim = 1024. Larger tiles buy nothing: MLAS already
 * runs at its peak at 256 rows and beyond, and the per-tile overhead (one session call) is a few
 * microseconds against milliseconds of GEMM.
 *
 * CUDA: float64 tiles. onnxruntime-node's CUDA options cannot turn off TF32, whose 10-bit mantissa
 * would put 1e-3 errors into float32 similarities; FP64 GEMM runs on the tensor cores of the GPUs
 * labs use (A100, H100/H200) and needs no error band. Tiles are larger (4096², 128 MiB) because
 * every call crosses the PCIe bus and launches kernels; the per-pair pass on the host then
 * dominates.
 */
export function tilePlan(provider: ExecutionProvider, dim: number): TilePlan {
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`embedding dimension must be a positive integer, got ${dim}`);
  if (provider === 'cuda') return { tileRows: largestPowerOfTwo(4096, (32 * MIB) / (2 * dim * 8)), tileType: 'float64' };
  return { tileRows: largestPowerOfTwo(1024, (8 * MIB) / (2 * dim * 4)), tileType: 'float32' };
}

/** The largest power of two ≤ min(cap, limit), and never below MIN_PANEL_ROWS. */
function largestPowerOfTwo(cap: number, limit: number): number {
  let rows = cap;
  while (rows > MIN_PANEL_ROWS && rows > limit) rows /= 2;
  return rows;
}

/**
 * A rigorous bound on |fl(â·b̂) − â·b̂| for unit rows of dimension `dim` multiplied in `type`:
 * rounding both rows to the tile type moves the product by at most (2u + u²)·Σ|a_k b_k| ≤ 2u + u²,
 * and a dot product of length dim, summed in any order with or without FMA, errs by at most
 * γ_dim·Σ|a_k b_k| with γ_n = n·u/(1 − n·u) (Higham, Accuracy and Stability of Numerical
 * Algorithms, §3.1). The float64 unit rows themselves are unit to within a few 1e-16.
 */
export function dotErrorBound(dim: number, type: TileType): number {
  const u = type === 'float32' ? 2 ** -24 : 2 ** -53;
  const gamma = (dim * u) / (1 - dim * u);
  return (2 * u + u * u + gamma * (1 + u) ** 2) * 1.001 + 1e-14;
}
