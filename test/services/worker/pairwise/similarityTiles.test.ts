import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PairwiseEngine } from '../../../../services/worker/src/pairwise/engine.js';
import { packPanel } from '../../../../services/worker/src/pairwise/panels.js';
import { MIN_PANEL_ROWS, dotErrorBound, tilePlan } from '../../../../services/worker/src/pairwise/tilePlan.js';
import { mulberry32 } from '../../../support/mulberry32.js';

const ROWS = 300;

function unitRowsOf(count: number, dim: number, seed: number): Float64Array {
  const next = mulberry32(seed);
  const rows = Float64Array.from({ length: count * dim }, () => next() - 0.5);
  for (let i = 0; i < count; i++) {
    const row = rows.subarray(i * dim, (i + 1) * dim);
    const norm = Math.hypot(...row);
    for (let d = 0; d < dim; d++) row[d]! /= norm;
  }
  return rows;
}

describe('similarity tiles', () => {
  let engine: PairwiseEngine;
  beforeAll(async () => {
    engine = await PairwiseEngine.open('cpu');
  });
  afterAll(() => engine.release());

  it.each([10, 200, 512])('give every pair the same bits whatever tile it falls in (dim %i)', async (dim) => {
    const rows = unitRowsOf(ROWS, dim, dim);
    const panel = (start: number, end: number) => packPanel(rows, start, end, dim, 'float32');
    const whole = await engine.similarities(panel(0, ROWS), panel(0, ROWS));
    const stride = panel(0, ROWS).rows;
    for (const [tileRows, tileCols] of [
      [7, 64],
      [64, 7],
      [128, 128],
      [100, 250],
    ] as const) {
      for (let r = 0; r < ROWS; r += tileRows) {
        for (let c = 0; c < ROWS; c += tileCols) {
          const left = panel(r, Math.min(r + tileRows, ROWS));
          const right = panel(c, Math.min(c + tileCols, ROWS));
          const tile = await engine.similarities(left, right);
          for (let i = 0; i < left.count; i++) {
            for (let j = 0; j < right.count; j++) {
              if (tile[i * right.rows + j] !== whole[(r + i) * stride + c + j]) {
                throw new Error(`pair (${r + i}, ${c + j}) differs in a ${tileRows}×${tileCols} tile`);
              }
            }
          }
        }
      }
    }
    // s_ij and s_ji are the same products summed in the same order.
    for (let i = 0; i < ROWS; i++)
      for (let j = 0; j < i; j++) expect(whole[i * stride + j]).toBe(whole[j * stride + i]);
  });

  it('stay within the stated error bound of float64 dot products', async () => {
    const dim = 512;
    const rows = unitRowsOf(ROWS, dim, 3);
    const panel = packPanel(rows, 0, ROWS, dim, 'float32');
    const tile = await engine.similarities(panel, panel);
    let worst = 0;
    for (let i = 0; i < ROWS; i++) {
      for (let j = 0; j < ROWS; j++) {
        let exact = 0;
        for (let d = 0; d < dim; d++) exact += rows[i * dim + d]! * rows[j * dim + d]!;
        worst = Math.max(worst, Math.abs(tile[i * panel.rows + j]! - exact));
      }
    }
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThan(dotErrorBound(dim, 'float32'));
  });

  it('are chosen from the provider and the dimension only', () => {
    expect(tilePlan('cpu', 512, 'screened')).toEqual({ tileRows: 1024, tileType: 'float32' });
    expect(tilePlan('cpu', 512, 'exact')).toEqual({ tileRows: 1024, tileType: 'float64' });
    expect(tilePlan('cpu', 512, 'forces')).toEqual({ tileRows: 1024, tileType: 'float32' });
    expect(tilePlan('cuda', 512, 'forces')).toEqual({ tileRows: 4096, tileType: 'float64' });
    expect(tilePlan('cpu', 2048, 'screened')).toEqual({ tileRows: 256, tileType: 'float32' });
    expect(tilePlan('cuda', 512, 'screened')).toEqual({ tileRows: 4096, tileType: 'float64' });
    expect(tilePlan('cpu', 1_000_000, 'exact').tileRows).toBe(MIN_PANEL_ROWS);
    expect(() => tilePlan('cpu', 0, 'screened')).toThrow(/dimension/);
  });
});
