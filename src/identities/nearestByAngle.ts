/** One identity's neighbour: its position in the candidate list and the angle between their embeddings. */
export interface Neighbour {
  index: number;
  angle: number;
}

function norm(v: Float32Array): number {
  let s = 0;
  for (let d = 0; d < v.length; d++) s += v[d]! * v[d]!;
  return Math.sqrt(s);
}

/**
 * The `k` candidates nearest to `target` by angle between embeddings (the distance the methods
 * optimise, docs in README "Generating identities"), nearest first; `skip` (the target's own
 * position among the candidates) is left out. Linear in the candidates: one pass, a small sorted list.
 */
export function nearestByAngle(
  target: Float32Array,
  candidates: readonly Float32Array[],
  k: number,
  skip = -1,
): Neighbour[] {
  const targetNorm = norm(target);
  const best: Neighbour[] = [];
  candidates.forEach((candidate, index) => {
    if (index === skip || candidate.length !== target.length) return;
    let dot = 0;
    for (let d = 0; d < target.length; d++) dot += target[d]! * candidate[d]!;
    const cosine = dot / (targetNorm * norm(candidate) || 1);
    const angle = Math.acos(Math.min(1, Math.max(-1, cosine)));
    if (best.length === k && angle >= best[k - 1]!.angle) return;
    let at = best.length;
    while (at > 0 && best[at - 1]!.angle > angle) at--;
    best.splice(at, 0, { index, angle });
    if (best.length > k) best.pop();
  });
  return best;
}
