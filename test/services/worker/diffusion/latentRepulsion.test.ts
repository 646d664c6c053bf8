import { describe, expect, it } from 'vitest';
import { latentRepulsion } from '../../../../services/worker/src/diffusion/latentRepulsion.js';
import { randomArray, relativeError } from './analyticModel.js';
import { latentRepulsionPotential } from './latentRepulsionReference.js';

const A = 7;
const W = 5;
const kw = 1.7;
const r0 = 1.1;

const potential = (w: Float64Array) => latentRepulsionPotential(w, A, W, kw, r0);

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
