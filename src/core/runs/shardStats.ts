import type { IterationStatsRecord, SpreadValues } from '../stats/iterationStats.js';

type Spread = SpreadValues;

/** A spread kept as sums, so that the shards of one iteration merge exactly into the run's. */
export interface SpreadSums {
  min: number;
  max: number;
  sum: number;
  count: number;
}

/** ShardIteration.stats: one shard's statistics at one iteration, mergeable across shards. */
export interface ShardStatsRecord {
  identities: number;
  embeddingDistance: SpreadSums;
  distanceToReference: SpreadSums;
  latentDistance: SpreadSums;
  distanceToAverage: { sum: number; count: number };
  interactionForce: SpreadSums | null;
  latentForce: SpreadSums | null;
  randomForce: SpreadSums | null;
  totalForce: SpreadSums | null;
  dt: SpreadSums | null;
}

/** RunIteration.stats of a Dispersion or DisCo run, as served by IterationStats. */
export interface DispersionIterationRecord extends IterationStatsRecord {
  propIct: null;
  distanceToReference: Spread;
  exclusion: null;
}

function merge(parts: Array<SpreadSums | null>): Spread | null {
  if (parts.some((part) => part === null)) return null;
  const present = parts as SpreadSums[];
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let count = 0;
  for (const part of present) {
    min = Math.min(min, part.min);
    max = Math.max(max, part.max);
    sum += part.sum;
    count += part.count;
  }
  return count === 0 ? null : { min, avg: sum / count, max };
}

/** The run's statistics of one iteration from every shard's, taken in shard order so the sums are reproducible. */
export function mergeShardStats(records: ShardStatsRecord[]): DispersionIterationRecord {
  const required = (spread: Spread | null, what: string): Spread => {
    if (spread === null) throw new RangeError(`no ${what} to merge`);
    return spread;
  };
  const dtSpread = merge(records.map((r) => r.dt));
  let distanceSum = 0;
  let distanceCount = 0;
  for (const record of records) {
    distanceSum += record.distanceToAverage.sum;
    distanceCount += record.distanceToAverage.count;
  }
  return {
    embeddingDistance: required(merge(records.map((r) => r.embeddingDistance)), 'embedding distances'),
    propIct: null,
    distanceToReference: required(merge(records.map((r) => r.distanceToReference)), 'distances to the reference'),
    latentDistance: required(merge(records.map((r) => r.latentDistance)), 'latent distances'),
    meanDistanceToAverage: distanceSum / distanceCount,
    interactionForce: merge(records.map((r) => r.interactionForce)),
    latentForce: merge(records.map((r) => r.latentForce)),
    randomForce: merge(records.map((r) => r.randomForce)),
    totalForce: merge(records.map((r) => r.totalForce)),
    dt: dtSpread?.avg ?? null,
    dtSpread,
    exclusion: null,
  };
}
