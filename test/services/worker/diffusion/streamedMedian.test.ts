import { describe, expect, it } from 'vitest';
import { streamedMedian } from '../../../../services/worker/src/diffusion/verification.js';
import { mulberry32 } from '../../../support/mulberry32.js';

function sortedMedian(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

describe('streamedMedian', () => {
  it.each([1, 2, 3, 1000, 1001, 200_000])('equals the median of the sorted values (%i values)', (count) => {
    const next = mulberry32(count);
    // Angles in [0, π], with ties and both ends.
    const values = Array.from({ length: count }, (_, k) =>
      k % 7 === 0 ? Math.round(next() * 8) * (Math.PI / 8) : next() * Math.PI,
    );
    expect(streamedMedian(count, (visit) => values.forEach(visit))).toBe(sortedMedian(values));
  });

  it('keeps the middle of values crowded into one bin exact', () => {
    const values = Array.from({ length: 5000 }, (_, k) => 1.2 + k * 1e-12);
    expect(streamedMedian(values.length, (visit) => values.forEach(visit))).toBe(sortedMedian(values));
  });

  it('refuses an empty set', () => {
    expect(() => streamedMedian(0, () => undefined)).toThrow(RangeError);
  });
});
