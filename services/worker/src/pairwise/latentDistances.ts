/**
 * Euclidean geometry of latents on the engine, from float64 GEMM tiles of the rows centred on
 * their mean (latents share w_avg and have norms of tens; centred, the cancellation in
 * |x_i|² + |x_j|² − 2·x_i·x_j costs no more than the reference's float64 sums do):
 * - pairwise distances over i < j (their minimum sets the adaptive time step), and
 * - Dispersion's repulsion between the variations of one identity,
 *     −∂V/∂w_a = Σ_{b≠a} k_w·(r0 − d_ab)·(w_a − w_b)/d_ab = (Σ_b c_ab)·x_a − Σ_b c_ab·x_b,
 *   the last sum a float64 GEMM per tile (see diffusion/latentRepulsion.ts, the reference).
 * Sums over pairs are added row by row in ascending pair index, so they do not depend on the tile
 * size.
 */
import type { LatentRepulsion } from '../diffusion/latentRepulsion.js';
import { SpreadAccumulator } from '../diffusion/spread.js';
import type { PairwiseEngine } from './engine.js';
import { centredRows, forEachPairTile } from './pairTiles.js';

type Rows = Float32Array | Float64Array;

/** |w_i − w_j| over the pairs i < j of `count` rows starting at row `firstRow`. */
export async function latentPairDistances(
  engine: PairwiseEngine,
  latents: Rows,
  firstRow: number,
  count: number,
  dim: number,
): Promise<SpreadAccumulator> {
  return (await latentRepulsion(engine, latents, firstRow, count, dim, 0, 0)).distances;
}

/**
 * The latent repulsion among `count` rows starting at `firstRow` (one identity's variations) and
 * their pair distances; coefficient 0 gives the distances alone.
 */
export async function latentRepulsion(
  engine: PairwiseEngine,
  latents: Rows,
  firstRow: number,
  count: number,
  dim: number,
  coefficient: number,
  radius: number,
): Promise<LatentRepulsion> {
  const { rows, squaredNorms } = centredRows(latents, firstRow, count, dim);
  const force = new Float64Array(count * dim);
  const weightSums = new Float64Array(count);
  const rowSums = new Float64Array(count);
  const distances = new SpreadAccumulator();
  const repel = coefficient !== 0 && radius > 0;
  const { tileRows } = engine.plan(dim, 'exact');
  const weights = new Float64Array(repel ? tileRows * tileRows : 0);
  await forEachPairTile(engine, rows, count, dim, async (tile) => {
    const { rowStart, rowCount, colStart, colCount, diagonal, dots, stride } = tile;
    let active = 0;
    if (repel) weights.fill(0, 0, rowCount * colCount);
    for (let a = 0; a < rowCount; a++) {
      const i = rowStart + a;
      const normI = squaredNorms[i]!;
      let sum = rowSums[i]!;
      let weightSum = weightSums[i]!;
      for (let b = diagonal ? a + 1 : 0; b < colCount; b++) {
        const j = colStart + b;
        const distance = Math.sqrt(Math.max(0, normI + squaredNorms[j]! - 2 * dots[a * stride + b]!));
        sum += distance;
        if (distance < distances.min) distances.min = distance;
        if (distance > distances.max) distances.max = distance;
        // Coincident variations have no direction to push along; the force is taken as 0 there.
        if (repel && distance < radius && distance > 0) {
          const weight = (coefficient * (radius - distance)) / distance;
          weights[a * colCount + b] = weight;
          if (diagonal) weights[b * colCount + a] = weight;
          weightSum += weight;
          weightSums[j] += weight;
          active++;
        }
      }
      rowSums[i] = sum;
      weightSums[i] = weightSum;
    }
    if (active === 0) return;
    const tileWeights = weights.subarray(0, rowCount * colCount);
    const rowValues = rows.subarray(rowStart * dim, (rowStart + rowCount) * dim);
    const colValues = rows.subarray(colStart * dim, (colStart + colCount) * dim);
    subtractRows(force, rowStart * dim, await engine.weightedRows(tileWeights, rowCount, colCount, colValues, dim));
    if (!diagonal)
      subtractRows(
        force,
        colStart * dim,
        await engine.weightedRows(tileWeights, colCount, rowCount, rowValues, dim, true),
      );
  });
  if (repel) {
    for (let i = 0; i < count; i++) {
      const w = weightSums[i]!;
      for (let d = i * dim; d < (i + 1) * dim; d++) force[d] += w * rows[d]!;
    }
  }
  for (let i = 0; i < count; i++) distances.sum += rowSums[i]!;
  distances.count = (count * (count - 1)) / 2;
  return { force, distances };
}

function subtractRows(out: Float64Array, start: number, rows: Float64Array): void {
  for (let k = 0; k < rows.length; k++) out[start + k] -= rows[k]!;
}
