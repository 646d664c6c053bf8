/**
 * The tiles of the pairs i < j of one set of rows (the upper triangle, diagonal tiles included),
 * each as a float64 GEMM tile of dot products, visited row tile by row tile and, within one, in
 * ascending column tiles: a row's pairs arrive in ascending j whatever the tile size.
 */
import type { PairwiseEngine } from './engine.js';
import { packPanels } from './panels.js';

export interface PairTile {
  rowStart: number;
  rowCount: number;
  colStart: number;
  colCount: number;
  /** Row tile = column tile: only pairs with column > row count. */
  diagonal: boolean;
  /** dots[a·stride + b] = row (rowStart + a) · row (colStart + b) */
  dots: Float32Array | Float64Array;
  stride: number;
}

export async function forEachPairTile(
  engine: PairwiseEngine,
  rows: Float64Array,
  count: number,
  dim: number,
  visit: (tile: PairTile) => Promise<void> | void,
): Promise<void> {
  const { tileRows, tileType } = engine.plan(dim, 'exact');
  const panels = packPanels(rows, count, dim, tileRows, tileType);
  for (const [r, rowPanel] of panels.entries()) {
    for (let c = r; c < panels.length; c++) {
      const colPanel = panels[c]!;
      const dots = await engine.similarities(rowPanel, colPanel);
      await visit({
        rowStart: r * tileRows,
        rowCount: rowPanel.count,
        colStart: c * tileRows,
        colCount: colPanel.count,
        diagonal: r === c,
        dots,
        stride: colPanel.rows,
      });
    }
  }
}

/**
 * Rows [firstRow, firstRow + count) centred on their mean, in float64, with their squared norms:
 * |x_i − x_j|² = |x_i|² + |x_j|² − 2·x_i·x_j then has terms of the size of the distances.
 */
export function centredRows(values: Float32Array | Float64Array, firstRow: number, count: number, dim: number) {
  const rows = Float64Array.from(values.subarray(firstRow * dim, (firstRow + count) * dim));
  if (rows.length !== count * dim)
    throw new RangeError(`expected ${count} × ${dim} values from row ${firstRow}, got ${rows.length}`);
  const centre = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let d = 0; d < dim; d++) centre[d] += rows[i * dim + d]!;
  for (let d = 0; d < dim; d++) centre[d]! /= count;
  const squaredNorms = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let sum = 0;
    for (let d = 0; d < dim; d++) {
      const x = rows[i * dim + d]! - centre[d]!;
      rows[i * dim + d] = x;
      sum += x * x;
    }
    squaredNorms[i] = sum;
  }
  return { rows, squaredNorms };
}
