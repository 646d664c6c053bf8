import type { ShardStatsRecord, SpreadSums } from '../../../../src/core/runs/shardStats.js';
import type { DispersionIterationStats, DispersionStateStats } from '../diffusion/dispersion.js';
import type { Spread } from '../diffusion/spread.js';

const sums = (spread: Spread, count: number): SpreadSums => ({
  min: spread.min,
  max: spread.max,
  sum: spread.avg * count,
  count,
});

/**
 * Counts follow from the shape: pairs a < b within each identity for the pairwise spreads, one
 * value per variation for distances to the reference and forces, one dt per identity.
 */
export function shardStatsRecord(
  stats: DispersionIterationStats | DispersionStateStats,
  identities: number,
  variations: number,
): ShardStatsRecord {
  const rows = identities * variations;
  const pairs = (identities * variations * (variations - 1)) / 2;
  const moved = 'dt' in stats;
  return {
    identities,
    embeddingDistance: sums(stats.embeddingDistance, pairs),
    distanceToReference: sums(stats.distanceToReference, rows),
    latentDistance: sums(stats.latentDistance, pairs),
    distanceToAverage: { sum: stats.meanDistanceToAverage * rows, count: rows },
    interactionForce: moved ? sums(stats.interactionForce, rows) : null,
    latentForce: moved ? sums(stats.latentForce, rows) : null,
    randomForce: moved ? sums(stats.randomForce, rows) : null,
    totalForce: moved ? sums(stats.totalForce, rows) : null,
    dt: moved ? sums(stats.dt, identities) : null,
  };
}
