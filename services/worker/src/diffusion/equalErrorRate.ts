/** Verification error of a set of pairs at the threshold where false accepts and false rejects balance. */
export interface EqualErrorRate {
  /** (FAR + FRR) / 2 at the threshold where |FAR − FRR| is smallest. */
  eer: number;
  /** Distance at or below which a pair is accepted as the same identity. */
  threshold: number;
  genuinePairs: number;
  impostorPairs: number;
}

/**
 * Equal error rate of a verifier that accepts a pair when its distance is at most a threshold:
 * genuine pairs (same identity) should be accepted, impostor pairs rejected. Sweeps every distinct
 * distance as the threshold, plus one below all, in one pass over the sorted pairs.
 */
export function equalErrorRate(genuine: Float64Array, impostor: Float64Array): EqualErrorRate {
  if (genuine.length === 0 || impostor.length === 0)
    throw new RangeError('equal error rate needs genuine and impostor pairs');
  const pairs = genuine.length + impostor.length;
  const distance = new Float64Array(pairs);
  const isGenuine = new Uint8Array(pairs);
  distance.set(genuine, 0);
  distance.set(impostor, genuine.length);
  isGenuine.fill(1, 0, genuine.length);
  const order = Array.from({ length: pairs }, (_, k) => k).sort((a, b) => distance[a]! - distance[b]!);
  let acceptedGenuine = 0;
  let acceptedImpostor = 0;
  // Threshold below every distance: everything rejected, FRR = 1, FAR = 0.
  let best = { gap: 1, eer: 0.5, threshold: distance[order[0]!]! - 1e-12 };
  for (let k = 0; k < pairs; k++) {
    const index = order[k]!;
    if (isGenuine[index]) acceptedGenuine++;
    else acceptedImpostor++;
    // Ties accept together: evaluate only after the last pair at this distance.
    if (k + 1 < pairs && distance[order[k + 1]!] === distance[index]) continue;
    const frr = 1 - acceptedGenuine / genuine.length;
    const far = acceptedImpostor / impostor.length;
    const gap = Math.abs(far - frr);
    if (gap < best.gap) best = { gap, eer: (far + frr) / 2, threshold: distance[index]! };
  }
  return { eer: best.eer, threshold: best.threshold, genuinePairs: genuine.length, impostorPairs: impostor.length };
}
