/**
 * Repulsion between the variations of one identity in latent space:
 *   V = Σ_{a≠b} ¼·k_w·(r0 − |w_a − w_b|)²·[|w_a − w_b| < r0]
 * over ordered pairs, so each unordered pair contributes ½·k_w·(r0 − d)², and
 *   −∂V/∂w_a = Σ_{b≠a} k_w·(r0 − d_ab)·(w_a − w_b)/d_ab.
 */
import { SpreadAccumulator } from './spread.js';

export interface LatentRepulsion {
  /** −∂V/∂w_a, count × dim */
  force: Float64Array;
  /** |w_a − w_b| over pairs a < b */
  distances: SpreadAccumulator;
}

export function latentRepulsion(
  latents: Float32Array | Float64Array,
  firstRow: number,
  count: number,
  dim: number,
  coefficient: number,
  radius: number,
): LatentRepulsion {
  const force = new Float64Array(count * dim);
  const distances = new SpreadAccumulator();
  const difference = new Float64Array(dim);
  for (let a = 0; a < count; a++) {
    const aBase = (firstRow + a) * dim;
    for (let b = a + 1; b < count; b++) {
      const bBase = (firstRow + b) * dim;
      let sum = 0;
      for (let d = 0; d < dim; d++) {
        const x = latents[aBase + d]! - latents[bBase + d]!;
        difference[d] = x;
        sum += x * x;
      }
      const distance = Math.sqrt(sum);
      distances.add(distance);
      // Coincident variations have no direction to push along; the gradient is taken as 0 there.
      if (distance < radius && distance > 0) {
        const scale = (coefficient * (radius - distance)) / distance;
        for (let d = 0; d < dim; d++) {
          const push = scale * difference[d]!;
          force[a * dim + d] += push;
          force[b * dim + d] -= push;
        }
      }
    }
  }
  return { force, distances };
}
