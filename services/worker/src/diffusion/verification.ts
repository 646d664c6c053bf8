import { angularDistanceFromCosine, unitDot, unitRows } from './angular.js';
import { equalErrorRate, type EqualErrorRate } from './equalErrorRate.js';
import type { Spread } from './spread.js';
import { SpreadAccumulator } from './spread.js';

/** Beyond this many impostor pairs, each sample is compared with the same variation of a fixed number of other identities. */
const maxImpostorPairs = 2_000_000;

/** How well the generated set separates identities, for a run's summary. */
export interface VerificationSummary {
  /** Verification over sample pairs: genuine within an identity, impostor across identities. */
  verification: EqualErrorRate;
  /** Angular distance of each sample to its identity's reference embedding. */
  distanceToReference: Spread;
  /** Median angular distance between the reference embeddings of different identities. */
  medianInterIdentityDistance: number;
  /** Share of samples closer to their own reference than that median. */
  closerThanMedian: number;
}

/** Bins of the first pass of `streamedMedian` over [0, π]. */
const MEDIAN_BINS = 1 << 16;

/**
 * The exact median of `count` angular distances in [0, π] that `forEach` can produce again, with
 * O(bins) memory instead of all of them (N²/2 between N reference embeddings: 400 MB as float64
 * at N = 10,000): a first pass counts them per bin, a second keeps only the bins that hold the
 * middle ranks, and those few are sorted.
 */
export function streamedMedian(count: number, forEach: (visit: (value: number) => void) => void): number {
  if (count < 1) throw new RangeError('the median of no values');
  const bin = (value: number) => Math.min(MEDIAN_BINS - 1, Math.max(0, Math.floor((value / Math.PI) * MEDIAN_BINS)));
  const counts = new Float64Array(MEDIAN_BINS);
  forEach((value) => counts[bin(value)]++);
  const [low, high] = [(count - 1) >> 1, count >> 1];
  let below = 0;
  let first = 0;
  while (below + counts[first]! <= low) below += counts[first++]!;
  let last = first;
  let through = below + counts[first]!;
  while (through <= high) through += counts[++last]!;
  const kept: number[] = [];
  forEach((value) => {
    const b = bin(value);
    if (b >= first && b <= last) kept.push(value);
  });
  kept.sort((a, b) => a - b);
  return (kept[low - below]! + kept[high - below]!) / 2;
}

/**
 * `samples` holds `variations` embeddings per identity, identity-major; `references` one per
 * identity, in the same identity order. Needs at least two identities.
 */
export function verificationSummary(
  samples: Float32Array,
  references: Float32Array,
  identities: number,
  variations: number,
  dim: number,
): VerificationSummary {
  if (identities < 2) throw new RangeError('verification needs at least two identities');
  const rows = identities * variations;
  const e = unitRows(samples, rows, dim);
  const r = unitRows(references, identities, dim);
  const distance = (i: number, j: number) => angularDistanceFromCosine(unitDot(e.unit, i, e.unit, j, dim));

  const genuine: number[] = [];
  for (let i = 0; i < identities; i++) {
    for (let a = 0; a < variations; a++)
      for (let b = a + 1; b < variations; b++) genuine.push(distance(i * variations + a, i * variations + b));
  }
  const impostor: number[] = [];
  const allPairs = (rows * (rows - variations)) / 2;
  if (allPairs <= maxImpostorPairs) {
    for (let p = 0; p < rows; p++)
      for (let q = (Math.floor(p / variations) + 1) * variations; q < rows; q++) impostor.push(distance(p, q));
  } else {
    const others = Math.max(1, Math.floor(maxImpostorPairs / rows));
    for (let i = 0; i < identities; i++) {
      for (let k = 1; k <= Math.min(others, identities - 1); k++) {
        const j = (i + k) % identities;
        for (let a = 0; a < variations; a++) impostor.push(distance(i * variations + a, j * variations + a));
      }
    }
  }

  const medianBetween = streamedMedian((identities * (identities - 1)) / 2, (visit) => {
    for (let i = 0; i < identities; i++)
      for (let j = i + 1; j < identities; j++) visit(angularDistanceFromCosine(unitDot(r.unit, i, r.unit, j, dim)));
  });
  const toReference = new SpreadAccumulator();
  let closer = 0;
  for (let p = 0; p < rows; p++) {
    const d = angularDistanceFromCosine(unitDot(e.unit, p, r.unit, Math.floor(p / variations), dim));
    toReference.add(d);
    if (d < medianBetween) closer++;
  }
  return {
    verification: equalErrorRate(Float64Array.from(genuine), Float64Array.from(impostor)),
    distanceToReference: toReference.spread(),
    medianInterIdentityDistance: medianBetween,
    closerThanMedian: closer / rows,
  };
}
