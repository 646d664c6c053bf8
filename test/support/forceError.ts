/**
 * max over identities of |F_i − F_ref,i| / |F_ref,i|: how far an engine's forces are from a
 * reference's, identity by identity. An identity the reference gives no force must get none
 * (its error is then 0, or Infinity when it got one). Tests and bench/pairwise.bench.ts share it.
 */
export function worstRowError(got: Float64Array, want: Float64Array, dim: number): number {
  let worst = 0;
  for (let i = 0; i < want.length / dim; i++) {
    let diff = 0;
    let size = 0;
    for (let d = i * dim; d < (i + 1) * dim; d++) {
      diff += (got[d]! - want[d]!) ** 2;
      size += want[d]! ** 2;
    }
    if (size > 0) worst = Math.max(worst, Math.sqrt(diff / size));
    else if (diff > 0) return Infinity;
  }
  return worst;
}
