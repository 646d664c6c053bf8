/**
 * Which pairs a tile's similarity may not decide alone. A similarity from the tile is within
 * `bound` of the float64 one; it is recomputed in float64 (`unitDot`) when
 * - a decision threshold (a radius, ICT) lies within `bound` of it, so that the decision is the
 *   float64 one, or
 * - the tile is float32 and |c·s| ≥ NEAR_DUPLICATE, where ∂d/∂s = −c/√(1 − c²s²) magnifies the
 *   rounding of s into the angle: 3.2 times at c·s = 0.95, without bound towards 1.
 */
import { COSINE_SCALE } from '../diffusion/angular.js';
import type { TileType } from './tilePlan.js';

export const NEAR_DUPLICATE = 0.95;

export class CosineScreen {
  private readonly thresholds: number[];
  private readonly high: number;
  private readonly low: number;

  /** `angles`: the distances compared against (radians); `bound`: the tile's dotErrorBound. */
  constructor(
    angles: readonly number[],
    private readonly bound: number,
    type: TileType,
  ) {
    // d < a ⟺ c·s > cos(a), d = arccos(c·s) being decreasing.
    this.thresholds = angles.filter(Number.isFinite).map((a) => Math.cos(a) / COSINE_SCALE);
    this.high = type === 'float32' ? NEAR_DUPLICATE / COSINE_SCALE - bound : Infinity;
    this.low = -this.high;
  }

  /** Whether the tile's similarity `s` must be recomputed in float64. */
  recompute(s: number): boolean {
    if (s >= this.high || s <= this.low) return true;
    for (const t of this.thresholds) if (Math.abs(s - t) <= this.bound) return true;
    return false;
  }
}
