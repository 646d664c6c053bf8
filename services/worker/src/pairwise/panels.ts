/**
 * Rows made ready for the GEMM: unit rows in float64 (kept for exact recomputation) and their
 * copy in the tile type, padded with zero rows to a multiple of REDUCTION_ROWS, or of the caller's
 * reduction block (so that weighted sums split into whole blocks), and to at least MIN_PANEL_ROWS.
 */
import { MIN_PANEL_ROWS, REDUCTION_ROWS, type TileType } from './tilePlan.js';

export interface Panel {
  /** Rows of `data`, the real ones first, then zero padding. */
  readonly rows: number;
  /** Real rows. */
  readonly count: number;
  readonly dim: number;
  readonly data: Float32Array | Float64Array;
}

/** Rows [start, end) of `values` (row-major, `dim` wide) as a panel of `type`. */
export function packPanel(
  values: Float64Array | Float32Array,
  start: number,
  end: number,
  dim: number,
  type: TileType,
  multiple = REDUCTION_ROWS,
): Panel {
  const count = end - start;
  const rows = Math.max(Math.ceil(count / multiple) * multiple, MIN_PANEL_ROWS);
  const data = type === 'float32' ? new Float32Array(rows * dim) : new Float64Array(rows * dim);
  data.set(values.subarray(start * dim, end * dim));
  return { rows, count, dim, data };
}

/** The panels of all rows, tileRows at a time. */
export function packPanels(
  values: Float64Array | Float32Array,
  count: number,
  dim: number,
  tileRows: number,
  type: TileType,
  multiple = REDUCTION_ROWS,
): Panel[] {
  const panels: Panel[] = [];
  for (let start = 0; start < count; start += tileRows)
    panels.push(packPanel(values, start, Math.min(start + tileRows, count), dim, type, multiple));
  return panels;
}
