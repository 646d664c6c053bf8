import { describe, expect, it } from 'vitest';
import { latentPairDistances, meanDistanceTo } from '../../../../services/worker/src/diffusion/latentStats.js';
import { randomArray } from './analyticModel.js';

const W = 9;

function distance(rows: ArrayLike<number>, i: number, j: number): number {
  let sum = 0;
  for (let d = 0; d < W; d++) sum += (rows[i * W + d]! - rows[j * W + d]!) ** 2;
  return Math.sqrt(sum);
}

describe('latentPairDistances', () => {
  const count = 29;
  const latents = Float32Array.from(randomArray(count * W, 5, 3));
  const all: number[] = [];
  for (let i = 0; i < count; i++) for (let j = i + 1; j < count; j++) all.push(distance(latents, i, j));

  it.each([1, 4, 10, 29, 100])('agrees with all pairs at once in tiles of %i', (tileSize) => {
    const spread = latentPairDistances(latents, 0, count, W, tileSize).spread();
    expect(spread.min).toBeCloseTo(Math.min(...all), 12);
    expect(spread.max).toBeCloseTo(Math.max(...all), 12);
    expect(spread.avg).toBeCloseTo(all.reduce((a, b) => a + b, 0) / all.length, 12);
  });

  it('covers only the rows of the requested group', () => {
    const group = latentPairDistances(latents, 10, 5, W, 2);
    const expected: number[] = [];
    for (let i = 10; i < 15; i++) for (let j = i + 1; j < 15; j++) expected.push(distance(latents, i, j));
    expect(group.count).toBe(10);
    expect(group.min).toBeCloseTo(Math.min(...expected), 12);
    expect(group.max).toBeCloseTo(Math.max(...expected), 12);
  });
});

describe('meanDistanceTo', () => {
  it('is the mean Euclidean distance to the centre', () => {
    const rows = new Float32Array([3, 4, 0, 0, 0, 0, 0, 0, 0, /**/ 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(meanDistanceTo(rows, 2, W, new Float32Array(W))).toBeCloseTo(3, 12);
  });
});
