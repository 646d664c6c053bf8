import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PairwiseEngine } from '../../../../services/worker/src/pairwise/engine.js';
import { searchTopK } from '../../../../services/worker/src/pairwise/topK.js';
import { mulberry32 } from '../../../support/mulberry32.js';

const D = 24;

function gaussianRows(count: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from(
    { length: count * D },
    () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
  );
}

/** Every query against every gallery row in float64, sorted by similarity then index. */
function bruteForce(queries: Float32Array, gallery: Float32Array, k: number) {
  const n = queries.length / D;
  const m = gallery.length / D;
  const unit = (rows: Float32Array, i: number) => {
    const row = Float64Array.from(rows.subarray(i * D, (i + 1) * D));
    const norm = Math.hypot(...row);
    return row.map((x) => x / norm);
  };
  const galleryUnits = Array.from({ length: m }, (_, j) => unit(gallery, j));
  const indices: number[][] = [];
  const similarities: number[][] = [];
  for (let q = 0; q < n; q++) {
    const query = unit(queries, q);
    const scored = galleryUnits.map((g, index) => ({ index, sim: g.reduce((s, x, d) => s + x * query[d]!, 0) }));
    scored.sort((a, b) => b.sim - a.sim || a.index - b.index);
    indices.push(scored.slice(0, k).map((s) => s.index));
    similarities.push(scored.slice(0, k).map((s) => s.sim));
  }
  return { indices, similarities };
}

function rowsOf(result: { queryCount: number; k: number; indices: Int32Array; similarities: Float64Array }) {
  const { queryCount, k } = result;
  return {
    indices: Array.from({ length: queryCount }, (_, q) => Array.from(result.indices.subarray(q * k, (q + 1) * k))),
    similarities: Array.from({ length: queryCount }, (_, q) =>
      Array.from(result.similarities.subarray(q * k, (q + 1) * k)),
    ),
  };
}

function expectMatches(result: Parameters<typeof rowsOf>[0], expected: ReturnType<typeof bruteForce>): void {
  const got = rowsOf(result);
  expect(got.indices).toEqual(expected.indices);
  for (const [q, row] of got.similarities.entries()) {
    for (const [r, sim] of row.entries()) expect(Math.abs(sim - expected.similarities[q]![r]!)).toBeLessThan(1e-12);
  }
}

/** A gallery of 700 rows drawn from 60 distinct directions: ties everywhere, across tile edges too. */
function galleryWithTies(): Float32Array {
  const distinct = gaussianRows(60, 5);
  const pick = mulberry32(6);
  const gallery = new Float32Array(700 * D);
  for (let j = 0; j < 700; j++) {
    const source = Math.floor(pick() * 60);
    gallery.set(distinct.subarray(source * D, (source + 1) * D), j * D);
  }
  return gallery;
}

describe('searchTopK', () => {
  let engine: PairwiseEngine;
  let smallTiles: PairwiseEngine;
  beforeAll(async () => {
    engine = await PairwiseEngine.open('cpu');
    smallTiles = await PairwiseEngine.open('cpu', { tileRows: 128 });
  });
  afterAll(async () => {
    await engine.release();
    await smallTiles.release();
  });

  const queries = gaussianRows(150, 1);

  it.each([1, 7, 40])('equals a float64 scan, ties to the lower index, gallery of 6 tiles (k = %i)', async (k) => {
    const gallery = galleryWithTies();
    const expected = bruteForce(queries, gallery, k);
    expectMatches(await searchTopK(smallTiles, { queries, queryCount: 150, dim: D, gallery, k }), expected);
    expectMatches(await searchTopK(engine, { queries, queryCount: 150, dim: D, gallery, k }), expected);
    // Ties really decide here: some k-th and (k+1)-th best are equal.
    const all = bruteForce(queries, gallery, k + 1);
    expect(all.similarities.some((row) => row[k - 1] === row[k])).toBe(true);
  });

  it('gives the same answer when the gallery streams in chunks of any size', async () => {
    const gallery = gaussianRows(1000, 2);
    const sizes = [37, 1, 250, 3, 128, 300, 281];
    async function* chunks() {
      let row = 0;
      for (const size of sizes) {
        yield gallery.slice(row * D, (row + size) * D);
        row += size;
      }
    }
    const streamed = await searchTopK(smallTiles, { queries, queryCount: 150, dim: D, gallery: chunks(), k: 10 });
    expect(streamed.galleryCount).toBe(1000);
    expectMatches(streamed, bruteForce(queries, gallery, 10));
  });

  it('orders rows whose similarities differ below float32 resolution exactly as float64 does', async () => {
    // Gallery rows q + ε_m·v with ε_m ~ 1e-4: similarities 1 − ε²/2 apart by ~1e-9, which float32
    // cannot tell apart.
    const query = gaussianRows(1, 3);
    const direction = gaussianRows(1, 4);
    const count = 300;
    const gallery = new Float32Array(count * D);
    const order = mulberry32(7);
    for (let j = 0; j < count; j++) {
      const epsilon = 1e-4 * (1 + order());
      for (let d = 0; d < D; d++) gallery[j * D + d] = query[d]! + epsilon * direction[d]!;
    }
    const result = await searchTopK(smallTiles, { queries: query, queryCount: 1, dim: D, gallery, k: 25 });
    expectMatches(result, bruteForce(query, gallery, 25));
  });

  it('returns the whole gallery, sorted, when k exceeds it', async () => {
    const gallery = gaussianRows(9, 8);
    const result = await searchTopK(engine, { queries, queryCount: 150, dim: D, gallery, k: 50 });
    expect(result.k).toBe(9);
    expectMatches(result, bruteForce(queries, gallery, 9));
  });

  it('names the bad input', async () => {
    const gallery = gaussianRows(10, 9);
    await expect(searchTopK(engine, { queries, queryCount: 150, dim: D, gallery, k: 0 })).rejects.toThrow(/^k must be/);
    await expect(searchTopK(engine, { queries, queryCount: 149, dim: D, gallery, k: 3 })).rejects.toThrow(
      /^queries: expected 149/,
    );
    await expect(
      searchTopK(engine, { queries, queryCount: 150, dim: D, gallery: gallery.subarray(1), k: 3 }),
    ).rejects.toThrow(/^gallery: .* not whole rows/);
    const zeroRow = gallery.slice();
    zeroRow.fill(0, 4 * D, 5 * D);
    await expect(searchTopK(engine, { queries, queryCount: 150, dim: D, gallery: zeroRow, k: 3 })).rejects.toThrow(
      /^gallery row 4 /,
    );
  });
});
