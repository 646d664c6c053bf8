import { describe, expect, it } from 'vitest';
import { nearestByAngle } from '../../src/identities/nearestByAngle.js';
import { mulberry32 } from '../support/mulberry32.js';

/** Reference: every angle in float64 by the closed form, sorted. */
function bruteForce(target: Float32Array, candidates: Float32Array[], k: number, skip: number) {
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);
  return candidates
    .map((c, index) => ({
      index,
      angle: Math.acos(Math.max(-1, Math.min(1, dot(target, c) / Math.sqrt(dot(target, target) * dot(c, c))))),
    }))
    .filter((n) => n.index !== skip)
    .sort((a, b) => a.angle - b.angle)
    .slice(0, k);
}

describe('nearestByAngle', () => {
  it('finds the same neighbours, in the same order, as sorting every angle', () => {
    const random = mulberry32(11);
    const candidates = Array.from({ length: 300 }, () => Float32Array.from({ length: 16 }, () => random() * 2 - 1));
    for (const [self, k] of [
      [0, 1],
      [17, 5],
      [299, 40],
    ] as const) {
      const got = nearestByAngle(candidates[self]!, candidates, k, self);
      const want = bruteForce(candidates[self]!, candidates, k, self);
      expect(got.map((n) => n.index)).toEqual(want.map((n) => n.index));
      got.forEach((n, i) => expect(n.angle).toBeCloseTo(want[i]!.angle, 10));
    }
  });

  it('returns fewer than k when there are fewer candidates, and never the skipped one', () => {
    const a = Float32Array.from([1, 0]);
    const b = Float32Array.from([0, 1]);
    expect(nearestByAngle(a, [a, b], 5, 0)).toEqual([{ index: 1, angle: Math.PI / 2 }]);
  });
});
