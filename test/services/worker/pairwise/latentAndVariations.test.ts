import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { angularDistanceFromCosine, unitDot, unitRows } from '../../../../services/worker/src/diffusion/angular.js';
import { latentRepulsion as referenceRepulsion } from '../../../../services/worker/src/diffusion/latentRepulsion.js';
import { latentPairDistances as referenceDistances } from '../../../../services/worker/src/diffusion/latentStats.js';
import { PairwiseEngine } from '../../../../services/worker/src/pairwise/engine.js';
import { latentPairDistances, latentRepulsion } from '../../../../services/worker/src/pairwise/latentDistances.js';
import { variationAngles } from '../../../../services/worker/src/pairwise/variationAngles.js';
import { randomArray, relativeError } from '../diffusion/analyticModel.js';

/** Latents like a run's: a shared offset of norm ~30 (w_avg) plus spread of a few units. */
function latents(count: number, dim: number, seed: number): Float32Array {
  const offset = randomArray(dim, seed + 1, 3);
  const spread = randomArray(count * dim, seed, 0.6);
  return Float32Array.from(spread, (x, k) => x + offset[k % dim]!);
}

describe('latent geometry on the engine', () => {
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

  it.each([
    [64, 512],
    [300, 40],
  ])('repulsion among %i variations (W = %i) equals the float64 reference kernel', async (count, dim) => {
    const w = latents(count, dim, count);
    const distances = referenceDistances(w, 0, count, dim, 32).spread();
    // A radius inside the range of distances: some pairs repel, some do not.
    const radius = (distances.min + distances.max) / 2;
    const want = referenceRepulsion(w, 0, count, dim, 1.3, radius);
    for (const eng of [engine, smallTiles]) {
      const got = await latentRepulsion(eng, w, 0, count, dim, 1.3, radius);
      expect(relativeError(got.force, want.force)).toBeLessThan(1e-12);
      expect(got.distances.count).toBe(want.distances.count);
      for (const key of ['min', 'avg', 'max'] as const) {
        expect(Math.abs(got.distances.spread()[key] / want.distances.spread()[key] - 1)).toBeLessThan(1e-12);
      }
    }
  });

  it('leaves coincident variations unpushed, like the reference', async () => {
    const w = latents(3, 16, 5);
    w.copyWithin(16, 0, 16);
    const got = await latentRepulsion(engine, w, 0, 3, 16, 1, 100);
    const want = referenceRepulsion(w, 0, 3, 16, 1, 100);
    expect(relativeError(got.force, want.force)).toBeLessThan(1e-12);
    expect(got.distances.min).toBe(0);
  });

  it('gives pairwise distances with the same bits whatever the tile size, equal to the reference', async () => {
    const [count, dim] = [700, 48];
    const w = latents(count, dim, 9);
    const a = await latentPairDistances(engine, w, 0, count, dim);
    const b = await latentPairDistances(smallTiles, w, 0, count, dim);
    expect(b).toEqual(a);
    const want = referenceDistances(w, 0, count, dim, 64).spread();
    for (const key of ['min', 'avg', 'max'] as const)
      expect(Math.abs(a.spread()[key] / want[key] - 1)).toBeLessThan(1e-12);
  });

  it('gives each variation’s cosine to its reference and the angles between variations', async () => {
    const [count, dim] = [150, 24];
    const e = unitRows(Float32Array.from(randomArray(2 * count * dim, 3)), 2 * count, dim);
    const references = unitRows(Float32Array.from(randomArray(3 * dim, 4)), 3, dim);
    const got = await variationAngles(smallTiles, e, count, count, references, 2);
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let a = 0; a < count; a++) {
      expect(Math.abs(got.cosineToReference[a]! - unitDot(e.unit, count + a, references.unit, 2, dim))).toBeLessThan(
        1e-14,
      );
      for (let b = a + 1; b < count; b++) {
        const d = angularDistanceFromCosine(unitDot(e.unit, count + a, e.unit, count + b, dim));
        min = Math.min(min, d);
        max = Math.max(max, d);
        sum += d;
      }
    }
    expect(got.pairs.count).toBe((count * (count - 1)) / 2);
    expect(Math.abs(got.pairs.min - min)).toBeLessThan(1e-12);
    expect(Math.abs(got.pairs.max - max)).toBeLessThan(1e-12);
    expect(Math.abs(got.pairs.sum / sum - 1)).toBeLessThan(1e-12);
  });
});
