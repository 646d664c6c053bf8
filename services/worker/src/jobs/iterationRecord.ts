import type { IterationStatsRecord } from '../../../../src/core/stats/iterationStats.js';
import type { LangevinIterationStats, LangevinStateStats } from '../diffusion/langevin.js';

/**
 * RunIteration.stats as stored and served by the API (IterationStats in the GraphQL schema).
 * The record after the last step has no forces and no dt: nothing moved.
 */
export function iterationRecord(stats: LangevinIterationStats | LangevinStateStats): IterationStatsRecord {
  const forces =
    'dt' in stats
      ? {
          interactionForce: stats.interactionForce,
          latentForce: stats.latentForce,
          randomForce: stats.randomForce,
          totalForce: stats.totalForce,
          dt: stats.dt,
        }
      : { interactionForce: null, latentForce: null, randomForce: null, totalForce: null, dt: null };
  return {
    embeddingDistance: stats.embeddingDistance,
    distanceToReference: null,
    dtSpread: null,
    propIct: stats.propIct,
    latentDistance: stats.latentDistance,
    meanDistanceToAverage: stats.meanDistanceToAverage,
    exclusion: stats.exclusion,
    ...forces,
  };
}
