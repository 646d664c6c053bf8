import { describe, expect, it } from 'vitest';
import {
  COSINE_SCALE,
  angularDistanceFromCosine,
  angularDistanceSlope,
  unitRows,
} from '../../../../services/worker/src/diffusion/angular.js';
import {
  galleryExclusion,
  pairDistanceStats,
  pairRepulsion,
} from '../../../../services/worker/src/diffusion/repulsion.js';
import { randomArray, relativeError } from './analyticModel.js';

const N = 37;
const M = 23;
const D = 10;
const k = 1.3;
const d0 = 1.4;
const c0 = 1.2;
const ict = 1.1;

/** Rows around a common direction, so that some pairs are closer than d0 and some farther. */
function clusteredRows(count: number, seed: number): Float64Array {
  const rows = randomArray(count * D, seed, 2);
  const centre = randomArray(D, seed + 1, 2);
  for (let i = 0; i < count; i++) for (let d = 0; d < D; d++) rows[i * D + d] += 0.8 * centre[d]!;
  return rows;
}

function angle(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let d = 0; d < D; d++) {
    dot += a[i * D + d]! * b[j * D + d]!;
    na += a[i * D + d]! ** 2;
    nb += b[j * D + d]! ** 2;
  }
  return Math.acos(COSINE_SCALE * (dot / Math.sqrt(na * nb)));
}

/** U_i with every other embedding fixed, straight from its definition. */
function potential(
  e: Float64Array,
  i: number,
  others: Float64Array,
  otherCount: number,
  radius: number,
  skipSelf: boolean,
): number {
  let u = 0;
  for (let j = 0; j < otherCount; j++) {
    if (skipSelf && j === i) continue;
    const dist = angle(e, i, others, j);
    if (dist < radius) u += 0.5 * k * (radius - dist) ** 2;
  }
  return u;
}

/** ∂U_i/∂e_i by central differences in float64. */
function numericGradient(e: Float64Array, i: number, potentialOf: (x: Float64Array) => number): Float64Array {
  const h = 1e-6;
  const gradient = new Float64Array(D);
  for (let d = 0; d < D; d++) {
    const plus = Float64Array.from(e);
    const minus = Float64Array.from(e);
    plus[i * D + d] += h;
    minus[i * D + d] -= h;
    gradient[d] = (potentialOf(plus) - potentialOf(minus)) / (2 * h);
  }
  return gradient;
}

/**
 * The whole N×N (or N×M) matrix of distances at once, and the gradient from the chain rule
 * through s = a·b/(|a||b|): ∂s/∂a = b/(|a||b|) − s·a/|a|².
 */
function directRepulsion(
  e: Float64Array,
  count: number,
  others: Float64Array,
  otherCount: number,
  radius: number,
  pairsOnly: boolean,
) {
  const distances: number[][] = [];
  const gradient = new Float64Array(count * D);
  let active = 0;
  for (let i = 0; i < count; i++) {
    distances.push([]);
    for (let j = 0; j < otherCount; j++) {
      const dist = angle(e, i, others, j);
      distances[i]!.push(dist);
      if ((pairsOnly && j === i) || dist >= radius) continue;
      active++;
      let na = 0;
      let nb = 0;
      let dot = 0;
      for (let d = 0; d < D; d++) {
        na += e[i * D + d]! ** 2;
        nb += others[j * D + d]! ** 2;
        dot += e[i * D + d]! * others[j * D + d]!;
      }
      const s = dot / Math.sqrt(na * nb);
      const dDistDs = -COSINE_SCALE / Math.sqrt(1 - (COSINE_SCALE * s) ** 2);
      for (let d = 0; d < D; d++) {
        const dsDa = others[j * D + d]! / Math.sqrt(na * nb) - (s * e[i * D + d]!) / na;
        gradient[i * D + d] += -k * (radius - dist) * dDistDs * dsDa;
      }
    }
  }
  return { distances, gradient, active };
}

function pairSummary(distances: number[][]) {
  const upper: number[] = [];
  for (let i = 0; i < distances.length; i++)
    for (let j = i + 1; j < distances.length; j++) upper.push(distances[i]![j]!);
  return {
    min: Math.min(...upper),
    max: Math.max(...upper),
    avg: upper.reduce((a, b) => a + b, 0) / upper.length,
    propIct: upper.filter((x) => x > ict).length / upper.length,
  };
}

describe('angular distance', () => {
  it('has closed forms at orthogonal and parallel vectors and a slope matching central differences', () => {
    expect(angularDistanceFromCosine(0)).toBeCloseTo(Math.PI / 2, 15);
    expect(angularDistanceFromCosine(1)).toBeCloseTo(Math.acos(0.999999), 15);
    expect(Number.isFinite(angularDistanceSlope(1))).toBe(true);
    for (const s of [-0.9, -0.3, 0, 0.4, 0.95]) {
      const h = 1e-7;
      const numeric = (angularDistanceFromCosine(s + h) - angularDistanceFromCosine(s - h)) / (2 * h);
      expect(angularDistanceSlope(s)).toBeCloseTo(numeric, 6);
    }
  });

  it('rejects embeddings without a direction', () => {
    expect(() => unitRows(new Float32Array([1, 2, 0, 0]), 2, 2)).toThrow(/row 1/);
    expect(() => unitRows(new Float32Array([Number.NaN, 2]), 1, 2)).toThrow(/row 0/);
  });
});

describe('pairRepulsion', () => {
  const e = clusteredRows(N, 11);
  const direct = directRepulsion(e, N, e, N, d0, true);

  it('works on data where some but not all pairs repel', () => {
    expect(direct.active).toBeGreaterThan(N);
    expect(direct.active).toBeLessThan(N * (N - 1) - N);
  });

  it('gives ∂U_i/∂e_i with all other embeddings fixed (central differences)', () => {
    const { gradient } = pairRepulsion(unitRows(e, N, D), { coefficient: k, radius: d0, tileSize: 8 }, ict);
    for (const i of [0, 5, 17, 36]) {
      const numeric = numericGradient(e, i, (x) => potential(x, i, x, N, d0, true));
      expect(relativeError(gradient.subarray(i * D, (i + 1) * D), numeric)).toBeLessThan(1e-6);
    }
  });

  it.each([1, 5, 7, 16, 37, 40])('agrees with the direct N×N computation in tiles of %i', (tileSize) => {
    const result = pairRepulsion(unitRows(e, N, D), { coefficient: k, radius: d0, tileSize }, ict);
    expect(relativeError(result.gradient, direct.gradient)).toBeLessThan(1e-12);
    const summary = pairSummary(direct.distances);
    expect(result.stats.distance.min).toBeCloseTo(summary.min, 12);
    expect(result.stats.distance.avg).toBeCloseTo(summary.avg, 12);
    expect(result.stats.distance.max).toBeCloseTo(summary.max, 12);
    expect(result.stats.propIct).toBe(summary.propIct);
    expect(summary.propIct).toBeGreaterThan(0);
    expect(summary.propIct).toBeLessThan(1);
    expect(pairDistanceStats(unitRows(e, N, D), tileSize, ict)).toEqual(result.stats);
  });
});

describe('galleryExclusion', () => {
  const e = clusteredRows(N, 21);
  const gallery = clusteredRows(M, 21)
    .subarray(0, M * D)
    .map((x, index) => x + 0.3 * Math.sin(index));
  const direct = directRepulsion(e, N, gallery, M, c0, false);

  it('works on data where some but not all identity–gallery pairs are within c0', () => {
    expect(direct.active).toBeGreaterThan(0);
    expect(direct.active).toBeLessThan(N * M);
  });

  it('gives ∂/∂e_i of the gallery term (central differences)', () => {
    const { gradient } = galleryExclusion(unitRows(e, N, D), unitRows(gallery, M, D), {
      coefficient: k,
      radius: c0,
      tileSize: 6,
    });
    for (const i of [1, 9, 30]) {
      const numeric = numericGradient(e, i, (x) => potential(x, i, gallery, M, c0, false));
      expect(relativeError(gradient.subarray(i * D, (i + 1) * D), numeric)).toBeLessThan(1e-6);
    }
  });

  it.each([1, 4, 9, 23, 64])('agrees with the direct N×M computation in tiles of %i', (tileSize) => {
    const result = galleryExclusion(unitRows(e, N, D), unitRows(gallery, M, D), {
      coefficient: k,
      radius: c0,
      tileSize,
    });
    expect(relativeError(result.gradient, direct.gradient)).toBeLessThan(1e-12);
    const all = direct.distances.flat();
    expect(result.stats.minDistance).toBeCloseTo(Math.min(...all), 12);
    expect(result.stats.identitiesWithin).toBe(direct.distances.filter((row) => row.some((x) => x < c0)).length);
  });
});
