/**
 * Euclidean distances between latents over the pairs i < j, from float64 GEMM tiles of the rows
 * centred on their mean: |x_i − x_j|² = |x_i|² + |x_j|² − 2·x_i·x_j. Centring keeps the terms of
 * the size of the distances themselves (latents share w_avg, their norms are tens), so the
 * cancellation costs no more than the reference's float64 sum of products does. The minimum sets
 * the adaptive time step, hence float64.
 */
import { SpreadAccumulator } from '../diffusion/spread.js';
import type { PairwiseEngine } from './engine.js';
import { packPanels } from './panels.js';

type Rows = Float32Array | Float64Array;

/** |w_i − w_j| over the pairs i < j of `count` rows starting at row `firstRow`. */
export async function latentPairDistances(engine: PairwiseEngine, latents: Rows, firstRow: number, count: number, dim: number): Promise<SpreadAccumulator> {
  const rows = Float64Array.from(latents.subarray(firstRow * dim, (firstRow + count) * dim));
  if (rows.length !== count * dim) throw new RangeError(`expected ${count} × ${dim} latents from row ${firstRow}, got ${rows.length} values`);
  const centre = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let d = 0; d < dim; d++) centre[d] += rows[i * dim + d]!;
  for (let d = 0; d < dim; d++) centre[d]! /= count;
  const squaredNorms = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let sum = 0;
    for (let d = i * dim; d < (i + 1) * dim; d++) {
      const x = rows[d]! - centre[d - i * dim]!;
      rows[d] = x;
      sum += x * x;
    }
    squaredNorms[i] = sum;
  }
  const { tileRows, tileType } = engine.plan(dim, 'exact');
  const panels = packPanels(rows, count, dim, tileRows, tileType);
  const rowSums = new Float64Array(count);
  const distances = new SpreadAccumulator();
  for (const [r, rowPanel] of panels.entries()) {
    const rowStart = r * tileRows;
    for (let c = r; c < panels.length; c++) {
      const colPanel = panels[c]!;
      const colStart = c * tileRows;
      const tile = await engine.similarities(rowPanel, colPanel);
      const stride = colPanel.rows;
      for (let a = 0; a < rowPanel.count; a++) {
        const i = rowStart + a;
        const normI = squaredNorms[i]!;
        let sum = rowSums[i]!;
        for (let b = c === r ? a + 1 : 0; b < colPanel.count; b++) {
          const distance = Math.sqrt(Math.max(0, normI + squaredNorms[colStart + b]! - 2 * tile[a * stride + b]!));
          sum += distance;
          if (distance < distances.min) distances.min = distance;
          if (distance > distances.max) distances.max = distance;
        }
        rowSums[i] = sum;
      }
    }
  }
  // Row by row, each row's pairs in ascending order: the same sum whatever the tile size.
  for (let i = 0; i < count; i++) distances.sum += rowSums[i]!;
  distances.count = (count * (count - 1)) / 2;
  return distances;
}
