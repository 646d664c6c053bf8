/**
 * How big the similarity tiles are, and in which precision the GEMM runs, on each execution
 * provider. Both depend only on the provider, the embedding dimension and what the similarities
 * feed, never on the number of rows or on a caller's setting: the same inputs on the same provider
 * then meet the same tile boundaries and give bit-identical results.
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

/** Panels are whole multiples of this many rows (MLAS's K stride), and so are reduction blocks. */
export const REDUCTION_ROWS = 128;

/**
 * Rows per reduction block of the forces' weighted sums Σ_j β_ij·ê_j and of the distance sums:
 * each block's partial is one GEMM dot product of that many terms (summed by MLAS in float32), and
 * a row's partials are added in float64 in ascending block order. Panels are whole blocks, so a
 * row's sum has the same terms in the same order for every tile size that is a multiple of the
 * block: results are bit-identical across those tile sizes.
 *
 * The block is the whole tile. Blocks of 128 rows (one MLAS K stride) made the same sums
 * tile-size independent down to 128-row tiles, but cost a batch of small MatMuls and eight times
 * the partials to add in JavaScript per tile: the forces ran at a third of the similarity GEMM's
 * rate. A 1024-term float32 partial errs about three times more than a 128-term one (random
 * roundings grow with the square root of the length), still under 1e-6 of a force
 * (test/services/worker/pairwise/angularRepulsion.test.ts). The tile, and so the block, depends
 * only on the provider and the dimension.
 */
export function reductionRows(plan: TilePlan): number {
  return plan.tileRows;
}

const MIB = 1024 * 1024;

/**
 * What the similarities feed. `exact`: their values go into results directly (latent distances,
 * which set the time step, and Dispersion's small within-identity terms), so the tiles are
 * float64. `screened`: only comparisons (top-k), where the float32 tile screens and every close
 * call is recomputed in float64. `forces`: the angular repulsion and exclusion with their
 * statistics; float32 tiles (twice MLAS's float64 rate and half the memory traffic), with the
 * pairs where float32 rounding matters recomputed in float64 (see angularPairs.ts): those near
 * the radius, near ict or the extremes, and near-duplicates, where arccos' slope magnifies it.
 */
export type TilePurpose = 'exact' | 'screened' | 'forces';

/**
 * Rows: the fused per-pair pass reads the tile once after the GEMM wrote it, so the tile should
 * stay in the last-level cache: 1024 × 1024 (4 MiB in float32, 8 MiB in float64). The two operand
 * panels (tileRows × dim each) are kept under 8 MiB together, which only binds above dim = 512.
 * Larger tiles buy nothing on CPU: MLAS already runs at its peak from 256 rows, and the per-tile
 * overhead (one session call) is microseconds against milliseconds of GEMM.
 *
 * Under CUDA every tile is float64, forces included (their float64 recomputation then shrinks to
 * near-duplicates and float64 margins): onnxruntime-node's CUDA options cannot turn off TF32, whose
 * 10-bit mantissa would put 1e-3 errors into float32 similarities, and FP64 GEMM runs on the
 * tensor cores of the GPUs labs use (A100, H100/H200). Tiles are larger (4096², 128 MiB) because
 * every call crosses the PCIe bus and launches kernels; the per-pair pass on the host dominates.
 */
export function tilePlan(provider: ExecutionProvider, dim: number, purpose: TilePurpose): TilePlan {
  if (!Number.isInteger(dim) || dim < 1)
    throw new RangeError(`embedding dimension must be a positive integer, got ${dim}`);
  if (provider === 'cuda')
    return { tileRows: largestPowerOfTwo(4096, (32 * MIB) / (2 * dim * 8)), tileType: 'float64' };
  const tileType = purpose === 'exact' ? 'float64' : 'float32';
  // 'forces' also hold a β matrix of one tile and block partials of tileRows²·dim/REDUCTION_ROWS
  // values (16 MiB at 1024 rows, dim 512): still O(tile), and 1024 rows keep the session calls
  // (about 55 tiles at N = 10,000) and the triangle's half-empty diagonal tiles negligible.
  return { tileRows: largestPowerOfTwo(1024, (8 * MIB) / (2 * dim * 8)), tileType };
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
