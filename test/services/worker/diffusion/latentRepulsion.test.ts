import { describe, expect, it } from 'vitest';
import { latentRepulsion } from '../../../../services/worker/src/diffusion/latentRepulsion.js';
import { randomArray, relativeError } from './analyticModel.js';

const A = 7;
const W = 5;
const kw = 1.7;
const r0 = 1.1;

/** V = Σ_{a≠b} ¼·k_w·(r0 − |w_a − w_b|)²·[|w_a − w_b| < r0] over ordered pairs. */
function potential(w: Float64Array): number {
  let v = 0;
  for (let a = 0; a < A; a++) {
    for (let b = 0; b < A; b++) {
      if (a === b) continue;
      let sum = 0;
      for (let d = 0; d < W; d++) sum += (w[a * W + d]! - w[b * W + d]!) ** 2;
      const dist = Math.sqrt(sum);
      if (dist < r0) v += 0.25 * kw * (r0 - dist) ** 2;
    }
  }
  return v;
}

describe('latentRepulsion', () => {
  const w = randomArray(A * W, 3, 1.2);

  it('is −∂V/∂w_a (central differences) on latents where some pairs are within r0', () => {
    const { force, distances } = latentRepulsion(w, 0, A, W, kw, r0);
    expect(distances.min).toBeLessThan(r0);
    expect(distances.max).toBeGreaterThan(r0);
    const h = 1e-6;
    const numeric = new Float64Array(A * W);
    for (let k = 0; k < A * W; k++) {
      const plus = Float64Array.from(w);
      const minus = Float64Array.from(w);
      plus[k] += h;
      minus[k] -= h;
      numeric[k] = -(potential(plus) - potential(minus)) / (2 * h);
    }
    expect(relativeError(force, numeric)).toBeLessThan(1e-6);
  });

  it('leaves coincident variations unpushed instead of producing NaN', () => {
    const twins = new Float64Array([1, 2, 3, 4, 5, 1, 2, 3, 4, 5]);
    const { force, distances } = latentRepulsion(twins, 0, 2, W, kw, r0);
    expect(distances.min).toBe(0);
    expect(Array.from(force)).toEqual(new Array(10).fill(0));
  });
});
