import { describe, expect, it } from 'vitest';
import { naturalLog, SeededRandom } from '../../../../../services/worker/src/pack/builtin/seededRandom.js';

describe('naturalLog', () => {
  it('agrees with Math.log to the last bits over many magnitudes', () => {
    for (const x of [1e-300, 1e-12, 0.001, 0.3, 0.5, 0.999999, 1, 1.000001, 2, Math.E, 10, 12345.678, 1e200]) {
      expect(Math.abs(naturalLog(x) - Math.log(x))).toBeLessThanOrEqual(4e-16 * Math.max(1, Math.abs(Math.log(x))));
    }
  });

  it('rejects values without a real logarithm', () => {
    expect(() => naturalLog(0)).toThrow(RangeError);
    expect(() => naturalLog(-1)).toThrow(RangeError);
  });
});

describe('SeededRandom', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const a = new SeededRandom(7).normals(16);
    expect(new SeededRandom(7).normals(16)).toEqual(a);
    expect(new SeededRandom(8).normals(16)).not.toEqual(a);
  });

  it('draws uniforms in [0, 1) with mean 1/2 and variance 1/12', () => {
    const random = new SeededRandom(1);
    const n = 50_000;
    let sum = 0;
    let sumSquares = 0;
    for (let i = 0; i < n; i++) {
      const u = random.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      sumSquares += u * u;
    }
    const mean = sum / n;
    expect(mean).toBeCloseTo(0.5, 2);
    expect(sumSquares / n - mean * mean).toBeCloseTo(1 / 12, 3);
  });

  it('draws standard normals: mean 0, variance 1, no skew, normal tail mass', () => {
    const values = new SeededRandom(2).normals(50_000);
    const n = values.length;
    const mean = values.reduce((s, v) => s + v, 0) / n;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    const skew = values.reduce((s, v) => s + (v - mean) ** 3, 0) / n;
    const beyondTwo = values.filter((v) => Math.abs(v) > 2).length / n;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
    expect(Math.abs(skew)).toBeLessThan(0.05);
    // P(|X| > 2) = 0.0455 for a standard normal.
    expect(Math.abs(beyondTwo - 0.0455)).toBeLessThan(0.005);
  });
});
