import type { LangevinPairs } from '../diffusion/langevinPairs.js';
import { galleryExclusion, pairDistanceStats, pairRepulsion } from './angularRepulsion.js';
import type { PairwiseEngine } from './engine.js';
import { latentPairDistances } from './latentDistances.js';

/** A Langevin step's pairwise computations on `engine`. */
export function engineLangevinPairs(engine: PairwiseEngine): LangevinPairs {
  return {
    repulsion: (e, hinge, ict) => pairRepulsion(engine, e, hinge, ict),
    distanceStats: (e, ict) => pairDistanceStats(engine, e, ict),
    exclusion: (e, gallery, hinge) => galleryExclusion(engine, e, gallery, hinge),
    latentDistances: (latents, count, dim) => latentPairDistances(engine, latents, 0, count, dim),
  };
}
