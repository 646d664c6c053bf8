/**
 * Euclidean statistics of latents: pairwise distances over i < j, visited in tiles so memory
 * stays O(N·W + tileSize²) (the minimum also sets the adaptive time step), and the mean
 * distance to w_avg.
 */
import { SpreadAccumulator } from './spread.js';
import { tileDots } from './tileDots.js';

type Rows = Float32Array | Float64Array;

function squaredDistance(a: Rows, aBase: number, b: Rows, bBase: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let d = 0;
  for (; d + 1 < dim; d += 2) {
    const x0 = a[aBase + d]! - b[bBase + d]!;
    const x1 = a[aBase + d + 1]! - b[bBase + d + 1]!;
    s0 += x0 * x0;
    s1 += x1 * x1;
  }
  if (d < dim) {
    const x = a[aBase + d]! - b[bBase + d]!;
    s0 += x * x;
  }
  return s0 + s1;
}

/**
 * |w_i − w_j| over the pairs i < j of `count` rows starting at row `firstRow`, from
 * |w_i|² + |w_j|² − 2·w_i·w_j in float64 (latent norms are a few tens, so the cancellation
 * costs about 1e-13 of a distance of 1).
 */
export function latentPairDistances(
  latents: Rows,
  firstRow: number,
  count: number,
  dim: number,
  tileSize: number,
): SpreadAccumulator {
  if (!Number.isInteger(tileSize) || tileSize < 1) {
    throw new RangeError(`tileSize must be a positive integer, got ${tileSize}`);
  }
  const rows = Float64Array.from(latents.subarray(firstRow * dim, (firstRow + count) * dim));
  const squaredNorms = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += rows[i * dim + d]! ** 2;
    squaredNorms[i] = sum;
  }
  const tile = Math.min(tileSize, count);
  const dots = new Float64Array(tile * tile);
  const distances = new SpreadAccumulator();
  for (let rowStart = 0; rowStart < count; rowStart += tileSize) {
    const rowEnd = Math.min(rowStart + tileSize, count);
    for (let colStart = rowStart; colStart < count; colStart += tileSize) {
      const colEnd = Math.min(colStart + tileSize, count);
      const cols = colEnd - colStart;
      tileDots(rows, rowStart, rowEnd, rows, colStart, colEnd, dim, dots);
      for (let i = rowStart; i < rowEnd; i++) {
        const tileRow = (i - rowStart) * cols - colStart;
        const normI = squaredNorms[i]!;
        for (let j = colStart === rowStart ? i + 1 : colStart; j < colEnd; j++) {
          distances.add(Math.sqrt(Math.max(0, normI + squaredNorms[j]! - 2 * dots[tileRow + j]!)));
        }
      }
    }
  }
  return distances;
}

/** Mean over rows of |w_i − centre|. */
export function meanDistanceTo(latents: Rows, count: number, dim: number, centre: Rows): number {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += Math.sqrt(squaredDistance(latents, i * dim, centre, 0, dim));
  return sum / count;
}
