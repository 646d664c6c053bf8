import { describe, expect, it } from 'vitest';
import { stepSize } from '../../../../services/worker/src/diffusion/timestep.js';

describe('stepSize', () => {
  it('uses a positive timestep as it is', () => {
    expect(stepSize(0.05, 2, 3, 4)).toBe(0.05);
  });

  it('is (−timestep)·μ·min distance / max force when timestep < 0', () => {
    expect(stepSize(-0.3, 2, 1.5, 4)).toBeCloseTo((0.3 * 2 * 1.5) / 4, 15);
  });

  it('refuses an adaptive step when nothing pulls on any latent', () => {
    expect(() => stepSize(-0.3, 1, 1, 0)).toThrow(/largest force norm is 0/);
  });
});
