import { StoredJsonError } from '../db/json.js';
import { isRecord } from '../packs/jsonSchema.js';

/** Minimum, mean and maximum of a quantity over identities or pairs. */
export interface SpreadValues {
  min: number;
  avg: number;
  max: number;
}

/** How close identities come to the real faces of an exclusion gallery. */
export interface ExclusionValues {
  /** Smallest angular distance from any identity to any gallery embedding. */
  minDistance: number;
  /** Identities with a gallery embedding closer than the exclusion distance. */
  identitiesWithin: number;
}

/**
 * Statistics of one iteration: what a worker stores in RunIteration.stats, sends in iteration
 * events, and the API serves as IterationStats. The record after the last step has no forces and
 * no dt (nothing moved).
 */
export interface IterationStatsRecord {
  /** Angular distance between embeddings, over pairs. */
  embeddingDistance: SpreadValues;
  /** Dispersion: angular distance of each variation to its reference embedding. */
  distanceToReference: SpreadValues | null;
  /** Share of embedding pairs farther apart than the ICT. */
  propIct: number | null;
  /** Euclidean distance between latents, over pairs. */
  latentDistance: SpreadValues;
  /** Mean Euclidean distance of latents to w_avg. */
  meanDistanceToAverage: number;
  interactionForce: SpreadValues | null;
  latentForce: SpreadValues | null;
  randomForce: SpreadValues | null;
  totalForce: SpreadValues | null;
  /** Time step of the update after these statistics (Dispersion: the mean over identities); null after the last. */
  dt: number | null;
  /** Dispersion: time steps over identities, each taking its own. */
  dtSpread: SpreadValues | null;
  exclusion: ExclusionValues | null;
}

/** Run.summary of a finished run: the statistics of its first and last iteration. */
export interface RunSummary {
  first: IterationStatsRecord | null;
  last: IterationStatsRecord | null;
  identities: number;
}

function fail(path: string, expected: string): never {
  throw new StoredJsonError(`${path} should be ${expected}`);
}

function num(value: unknown, path: string): number {
  return typeof value === 'number' ? value : fail(path, 'a number');
}

function nullableNum(value: unknown, path: string): number | null {
  return value === null || value === undefined ? null : num(value, path);
}

function spread(value: unknown, path: string): SpreadValues {
  if (!isRecord(value)) fail(path, 'an object {min, avg, max}');
  return { min: num(value.min, `${path}.min`), avg: num(value.avg, `${path}.avg`), max: num(value.max, `${path}.max`) };
}

function nullableSpread(value: unknown, path: string): SpreadValues | null {
  return value === null || value === undefined ? null : spread(value, path);
}

function exclusion(value: unknown, path: string): ExclusionValues | null {
  if (value === null || value === undefined) return null;
  if (!isRecord(value)) fail(path, 'an object {minDistance, identitiesWithin}');
  return {
    minDistance: num(value.minDistance, `${path}.minDistance`),
    identitiesWithin: num(value.identitiesWithin, `${path}.identitiesWithin`),
  };
}

/** RunIteration.stats read back, checked field by field. */
export function decodeIterationStats(value: unknown, path = 'stats'): IterationStatsRecord {
  if (!isRecord(value)) fail(path, 'an object');
  return {
    embeddingDistance: spread(value.embeddingDistance, `${path}.embeddingDistance`),
    distanceToReference: nullableSpread(value.distanceToReference, `${path}.distanceToReference`),
    propIct: nullableNum(value.propIct, `${path}.propIct`),
    latentDistance: spread(value.latentDistance, `${path}.latentDistance`),
    meanDistanceToAverage: num(value.meanDistanceToAverage, `${path}.meanDistanceToAverage`),
    interactionForce: nullableSpread(value.interactionForce, `${path}.interactionForce`),
    latentForce: nullableSpread(value.latentForce, `${path}.latentForce`),
    randomForce: nullableSpread(value.randomForce, `${path}.randomForce`),
    totalForce: nullableSpread(value.totalForce, `${path}.totalForce`),
    dt: nullableNum(value.dt, `${path}.dt`),
    dtSpread: nullableSpread(value.dtSpread, `${path}.dtSpread`),
    exclusion: exclusion(value.exclusion, `${path}.exclusion`),
  };
}
