/**
 * The embedding-space terms of the Langevin potential, each identity holding all other
 * embeddings fixed:
 *   U_i = Σ_{j≠i} ½·k·(d0 − d_ij)²·[d_ij < d0] + Σ_m ½·k·(c0 − d_im)²·[d_im < c0].
 * Only ∂U_i/∂e_i is needed per identity (not the gradient of Σ_i U_i). Pairs are visited in
 * tiles of `tileSize` × `tileSize` so memory stays O(N·D + tileSize²) whatever N; nothing N×N
 * is ever held.
 *
 * This single-threaded float64 JavaScript kernel is the reference: runs use the engine's
 * (pairwise/angularRepulsion.ts), which the tests and `npm run bench` compare against this one.
 */
import { angularDistanceFromCosine, angularDistanceSlope, type UnitRows } from './angular.js';
import { SpreadAccumulator, type Spread } from './spread.js';
import { tileDots } from './tileDots.js';

export interface RepulsionSettings {
  /** k */
  coefficient: number;
  /** d0 (repulsion between identities) or c0 (exclusion from a gallery), in radians. */
  radius: number;
  tileSize: number;
}

/** Angular distances over unordered pairs i < j. */
export interface PairDistanceStats {
  distance: Spread;
  /** Share of pairs with d > ict. */
  propIct: number;
}

export interface RepulsionResult {
  /** ∂U_i/∂e_i, count × dim, in the coordinates of the (unnormalised) embeddings. */
  gradient: Float64Array;
  stats: PairDistanceStats;
}

export interface ExclusionStats {
  /** Smallest distance from any identity to any gallery embedding. */
  minDistance: number;
  /** Identities with at least one gallery embedding closer than c0. */
  identitiesWithin: number;
}

export interface ExclusionResult {
  gradient: Float64Array;
  stats: ExclusionStats;
}

function checkTileSize(tileSize: number): void {
  if (!Number.isInteger(tileSize) || tileSize < 1) {
    throw new RangeError(`tileSize must be a positive integer, got ${tileSize}`);
  }
}

/**
 * Accumulates, for each identity i, Σ_j β_ij·ê_j into `pull` and Σ_j β_ij·s_ij into `weight`,
 * with β_ij = −k(r − d_ij)·∂d/∂s ≥ 0 over active pairs; then
 * ∂U_i/∂e_i = (pull_i − weight_i·ê_i) / |e_i|.
 */
function finishGradient(e: UnitRows, pull: Float64Array, weight: Float64Array): Float64Array {
  const { count, dim, unit, norms } = e;
  for (let i = 0; i < count; i++) {
    const base = i * dim;
    const w = weight[i]!;
    const inverseNorm = 1 / norms[i]!;
    for (let d = 0; d < dim; d++) pull[base + d] = (pull[base + d]! - w * unit[base + d]!) * inverseNorm;
  }
  return pull;
}

/**
 * out[outBase ..] += Σ_k weights[k]·rows[indices[k]] over k < n, four rows per pass so the
 * output row is read and written a quarter as often as with one row at a time.
 */
function addWeightedRows(
  out: Float64Array,
  outBase: number,
  weights: Float64Array,
  indices: Int32Array,
  n: number,
  rows: Float64Array,
  dim: number,
): void {
  let k = 0;
  for (; k + 3 < n; k += 4) {
    const w0 = weights[k]!;
    const w1 = weights[k + 1]!;
    const w2 = weights[k + 2]!;
    const w3 = weights[k + 3]!;
    const r0 = indices[k]! * dim;
    const r1 = indices[k + 1]! * dim;
    const r2 = indices[k + 2]! * dim;
    const r3 = indices[k + 3]! * dim;
    for (let d = 0; d < dim; d++) {
      out[outBase + d] += w0 * rows[r0 + d]! + w1 * rows[r1 + d]! + (w2 * rows[r2 + d]! + w3 * rows[r3 + d]!);
    }
  }
  for (; k < n; k++) {
    const w = weights[k]!;
    const r = indices[k]! * dim;
    for (let d = 0; d < dim; d++) out[outBase + d] += w * rows[r + d]!;
  }
}

interface PairScan {
  gradient: Float64Array | null;
  stats: PairDistanceStats;
}

/**
 * One pass over the pairs i < j, tile by tile: the distance statistics always, and the repulsion
 * gradient when `repulsion` is given.
 */
function scanPairs(
  e: UnitRows,
  tileSize: number,
  ict: number,
  repulsion: { coefficient: number; radius: number } | null,
): PairScan {
  checkTileSize(tileSize);
  const { count, dim, unit } = e;
  const coefficient = repulsion?.coefficient ?? 0;
  const radius = repulsion?.radius ?? -Infinity;
  const pull = repulsion ? new Float64Array(count * dim) : null;
  const weight = new Float64Array(repulsion ? count : 0);
  const tile = Math.min(tileSize, count);
  const cosines = new Float64Array(tile * tile);
  // β of the tile's active pairs (0 elsewhere), read again column by column for the j side.
  const betas = new Float64Array(repulsion ? tile * tile : 0);
  const activeIndices = new Int32Array(tile);
  const activeWeights = new Float64Array(tile);
  const distances = new SpreadAccumulator();
  let aboveIct = 0;
  for (let rowStart = 0; rowStart < count; rowStart += tileSize) {
    const rowEnd = Math.min(rowStart + tileSize, count);
    for (let colStart = rowStart; colStart < count; colStart += tileSize) {
      const colEnd = Math.min(colStart + tileSize, count);
      const cols = colEnd - colStart;
      tileDots(unit, rowStart, rowEnd, unit, colStart, colEnd, dim, cosines);
      if (pull !== null) betas.fill(0);
      for (let i = rowStart; i < rowEnd; i++) {
        const tileRow = (i - rowStart) * cols - colStart;
        let active = 0;
        for (let j = colStart === rowStart ? i + 1 : colStart; j < colEnd; j++) {
          const cosine = cosines[tileRow + j]!;
          const distance = angularDistanceFromCosine(cosine);
          distances.add(distance);
          if (distance > ict) aboveIct++;
          if (pull !== null && distance < radius) {
            // β_ij = β_ji: the pair pushes both ends with the same weight.
            const beta = -coefficient * (radius - distance) * angularDistanceSlope(cosine);
            betas[tileRow + j] = beta;
            activeIndices[active] = j;
            activeWeights[active] = beta;
            active++;
            weight[i] += beta * cosine;
            weight[j] += beta * cosine;
          }
        }
        if (pull !== null) addWeightedRows(pull, i * dim, activeWeights, activeIndices, active, unit, dim);
      }
      if (pull === null) continue;
      for (let j = colStart; j < colEnd; j++) {
        let active = 0;
        for (let i = rowStart; i < rowEnd; i++) {
          const beta = betas[(i - rowStart) * cols + (j - colStart)]!;
          if (beta !== 0) {
            activeIndices[active] = i;
            activeWeights[active] = beta;
            active++;
          }
        }
        addWeightedRows(pull, j * dim, activeWeights, activeIndices, active, unit, dim);
      }
    }
  }
  return {
    gradient: pull === null ? null : finishGradient(e, pull, weight),
    stats: { distance: distances.spread(), propIct: aboveIct / distances.count },
  };
}

/** Repulsion between the identities and the pair statistics, in one pass. */
export function pairRepulsion(e: UnitRows, settings: RepulsionSettings, ict: number): RepulsionResult {
  const scan = scanPairs(e, settings.tileSize, ict, settings);
  return { gradient: scan.gradient!, stats: scan.stats };
}

/** Pair statistics alone (no gradient), as after the last iteration. */
export function pairDistanceStats(e: UnitRows, tileSize: number, ict: number): PairDistanceStats {
  return scanPairs(e, tileSize, ict, null).stats;
}

/**
 * The exclusion-gallery term: each identity is pushed out of radius c0 around every real
 * embedding of the gallery; the gallery itself never moves.
 */
export function galleryExclusion(e: UnitRows, gallery: UnitRows, settings: RepulsionSettings): ExclusionResult {
  checkTileSize(settings.tileSize);
  if (gallery.dim !== e.dim) {
    throw new RangeError(`gallery embeddings have dimension ${gallery.dim}, identities ${e.dim}`);
  }
  const { count, dim, unit } = e;
  const { coefficient, radius, tileSize } = settings;
  const pull = new Float64Array(count * dim);
  const weight = new Float64Array(count);
  const within = new Uint8Array(count);
  const cosines = new Float64Array(Math.min(tileSize, count) * Math.min(tileSize, gallery.count));
  const activeIndices = new Int32Array(Math.min(tileSize, gallery.count));
  const activeWeights = new Float64Array(activeIndices.length);
  let minDistance = Infinity;
  for (let rowStart = 0; rowStart < count; rowStart += tileSize) {
    const rowEnd = Math.min(rowStart + tileSize, count);
    for (let colStart = 0; colStart < gallery.count; colStart += tileSize) {
      const colEnd = Math.min(colStart + tileSize, gallery.count);
      const cols = colEnd - colStart;
      tileDots(unit, rowStart, rowEnd, gallery.unit, colStart, colEnd, dim, cosines);
      for (let i = rowStart; i < rowEnd; i++) {
        const tileRow = (i - rowStart) * cols - colStart;
        let active = 0;
        for (let m = colStart; m < colEnd; m++) {
          const cosine = cosines[tileRow + m]!;
          const distance = angularDistanceFromCosine(cosine);
          if (distance < minDistance) minDistance = distance;
          if (distance < radius) {
            within[i] = 1;
            const beta = -coefficient * (radius - distance) * angularDistanceSlope(cosine);
            activeIndices[active] = m;
            activeWeights[active] = beta;
            active++;
            weight[i] += beta * cosine;
          }
        }
        addWeightedRows(pull, i * dim, activeWeights, activeIndices, active, gallery.unit, dim);
      }
    }
  }
  let identitiesWithin = 0;
  for (let i = 0; i < count; i++) identitiesWithin += within[i]!;
  return { gradient: finishGradient(e, pull, weight), stats: { minDistance, identitiesWithin } };
}
