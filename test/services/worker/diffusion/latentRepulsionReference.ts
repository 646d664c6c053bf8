/**
 * The Dispersion latent repulsion written straight from its formula, as the reference the engine is
 * checked against: V = Σ_{a≠b} ¼·k_w·(r0 − |w_a − w_b|)²·[|w_a − w_b| < r0] over ordered pairs of
 * the `count` rows (of length `dim`) of `w`.
 */
export function latentRepulsionPotential(w: Float64Array, count: number, dim: number, kw: number, r0: number): number {
  let v = 0;
  for (let a = 0; a < count; a++) {
    for (let b = 0; b < count; b++) {
      if (a === b) continue;
      let sum = 0;
      for (let d = 0; d < dim; d++) sum += (w[a * dim + d]! - w[b * dim + d]!) ** 2;
      const dist = Math.sqrt(sum);
      if (dist < r0) v += 0.25 * kw * (r0 - dist) ** 2;
    }
  }
  return v;
}
