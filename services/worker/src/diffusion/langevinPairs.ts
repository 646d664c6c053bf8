/**
 * The pairwise computations of a Langevin step. Runs use the engine's (pairwise/), on the model's
 * execution provider; the float64 JavaScript kernels of this folder implement the same interface
 * as the reference the engine is tested and benchmarked against.
 */
import type { UnitRows } from './angular.js';
import { latentPairDistances } from './latentStats.js';
import {
  galleryExclusion,
  pairDistanceStats,
  pairRepulsion,
  type ExclusionResult,
  type PairDistanceStats,
  type RepulsionResult,
} from './repulsion.js';
import type { SpreadAccumulator } from './spread.js';

export interface AngularHinge {
  /** k */
  coefficient: number;
  /** d0 or c0, radians */
  radius: number;
}

export interface LangevinPairs {
  /** ∂U_i/∂e_i of the repulsion between identities, and the embedding pair statistics. */
  repulsion(e: UnitRows, hinge: AngularHinge, ict: number): Promise<RepulsionResult>;
  distanceStats(e: UnitRows, ict: number): Promise<PairDistanceStats>;
  /** ∂U_i/∂e_i of the exclusion-gallery term, and how close the gallery is. */
  exclusion(e: UnitRows, gallery: UnitRows, hinge: AngularHinge): Promise<ExclusionResult>;
  /** |w_i − w_j| over pairs i < j. */
  latentDistances(latents: Float32Array, count: number, dim: number): Promise<SpreadAccumulator>;
}

/** Today's float64 JavaScript kernels, `tileSize` rows at a time. */
export function referenceLangevinPairs(tileSize: number): LangevinPairs {
  return {
    repulsion: async (e, hinge, ict) => pairRepulsion(e, { ...hinge, tileSize }, ict),
    distanceStats: async (e, ict) => pairDistanceStats(e, tileSize, ict),
    exclusion: async (e, gallery, hinge) => galleryExclusion(e, gallery, { ...hinge, tileSize }),
    latentDistances: async (latents, count, dim) => latentPairDistances(latents, 0, count, dim, tileSize),
  };
}
