/**
 * Dispersion's within-identity angles on the engine: for the variations of one identity, the
 * angular distances between them (pairs a < b) and the cosine of each to the identity's reference
 * embedding, from one float64 GEMM tile of [variations; reference]. One identity per call, so an
 * identity's values never depend on which others share its job.
 */
import { angularDistanceFromCosine, type UnitRows } from '../diffusion/angular.js';
import { SpreadAccumulator } from '../diffusion/spread.js';
import type { PairwiseEngine } from './engine.js';
import { forEachPairTile } from './pairTiles.js';

export interface VariationAngles {
  /** Angular distances between the variations, pairs a < b. */
  pairs: SpreadAccumulator;
  /** ê_a·ê_ref for each variation a. */
  cosineToReference: Float64Array;
}

/** Rows [first, first + count) of `e` against row `referenceRow` of `references`. */
export async function variationAngles(
  engine: PairwiseEngine,
  e: UnitRows,
  first: number,
  count: number,
  references: UnitRows,
  referenceRow: number,
): Promise<VariationAngles> {
  const dim = e.dim;
  const block = new Float64Array((count + 1) * dim);
  block.set(e.unit.subarray(first * dim, (first + count) * dim));
  block.set(references.unit.subarray(referenceRow * dim, (referenceRow + 1) * dim), count * dim);
  const cosineToReference = new Float64Array(count);
  const rowSums = new Float64Array(count);
  const pairs = new SpreadAccumulator();
  await forEachPairTile(
    engine,
    block,
    count + 1,
    dim,
    ({ rowStart, rowCount, colStart, colCount, diagonal, dots, stride }) => {
      for (let a = 0; a < rowCount; a++) {
        const i = rowStart + a;
        let sum = rowSums[i] ?? 0;
        for (let b = diagonal ? a + 1 : 0; b < colCount; b++) {
          const j = colStart + b;
          const cosine = dots[a * stride + b]!;
          if (j === count) {
            cosineToReference[i] = cosine;
            continue;
          }
          const distance = angularDistanceFromCosine(cosine);
          sum += distance;
          if (distance < pairs.min) pairs.min = distance;
          if (distance > pairs.max) pairs.max = distance;
        }
        if (i < count) rowSums[i] = sum;
      }
    },
  );
  for (let i = 0; i < count; i++) pairs.sum += rowSums[i]!;
  pairs.count = (count * (count - 1)) / 2;
  return { pairs, cosineToReference };
}
