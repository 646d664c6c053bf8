/**
 * The embedding-space terms of the Langevin potential and the pair statistics on the engine:
 * the same quantities as diffusion/repulsion.ts (the float64 JavaScript reference kernel),
 *   ∂U_i/∂e_i = (Σ_j β_ij·ê_j − (Σ_j β_ij·s_ij)·ê_i) / |e_i|,  β_ij = −k(r − d_ij)·∂d/∂s ≥ 0
 * over the active pairs d_ij < r. Each tile is one onnxruntime graph (forceTiles.ts): the float32
 * similarity GEMM, the per-pair pass and the weighted sums Σ_j β_ij·ê_j as GEMMs per reduction
 * block, all on every core. This file adds the tiles' outputs in float64 and redoes in float64 the
 * pairs the graph flags.
 *
 * Precision. x = c·s from a float32 GEMM tile errs by at most xErrorBound (3.1e-5 at D = 512;
 * measured at most 4e-7 on unit rows), and the pairs where that matters are redone in float64 from
 * the unit rows (unitDot, the reference's own dot product):
 * - near-duplicates (|x| > DUPLICATE_COSINE): arccos' slope magnifies the error of s, and the pair's
 *   pull β(ê_j − s·ê_i) cancels, so the whole pair is done in float64, outside the GEMM;
 * - pairs within the rigorous error margin of d (distanceMargin) of the radius or of ict: whether
 *   they are active and above ict is then the float64 answer, and their β too.
 * The extremes are float64 distances: every row whose float32 extreme could hold the exact one is
 * redone in float64 (exactExtremes). The mean sums the tiles' float32 distances in float64, with
 * the near-duplicates' replaced by float64 ones (relative error about 1e-10).
 * The weighted sums are float32 GEMMs of one reduction block each, added in float64, and
 * Σ_j β_ij·s_ij·ê_i is their projection on ê_i (the same sum with s exact), so the force is the
 * tangential part of the pull. Finally each identity's force is checked: the float32 errors of its
 * weights add up to about σ·√(Σ_j (∂β_ij/∂s)²) (independent roundings of σ each), bounded by
 * σ·maxSlope·√(active pairs); an identity where that exceeds RECOMPUTE_TOLERANCE of its force (one
 * pushed only by a few pairs just outside the margin of the radius, say) is recomputed entirely in
 * float64, row by row over all pairs.
 * Measured against the reference: test/services/worker/pairwise/angularRepulsion.test.ts.
 *
 * Determinism: a pair's similarity has the same bits in every tile (panels padded, see
 * tilePlan.ts), so which pairs are flagged and every β depend on the pair alone; each identity's
 * block partials are added in ascending block order, its float64 pairs in ascending pair index
 * (the tiles are visited row tile by row tile, columns ascending, and the pairs (i, j) with i < j
 * come first from the column side, then from the row side), and the two sums are kept apart until
 * the end, so the results have the same bits for every tile size that is a multiple of the
 * reduction block (tilePlan.ts).
 */
import { COSINE_SCALE, unitDot, type UnitRows } from '../diffusion/angular.js';
import type { AngularHinge } from '../diffusion/langevinPairs.js';
import type { ExclusionResult, PairDistanceStats, RepulsionResult } from '../diffusion/repulsion.js';
import type { ForceTileOutputs, PairwiseEngine } from './engine.js';
import { DUPLICATE_COSINE } from './forceTiles.js';
import { packPanel, packPanels, type Panel } from './panels.js';
import { dotErrorBound, type TileType } from './tilePlan.js';

export { DUPLICATE_COSINE };

/**
 * Estimated relative error of a force (the root mean square of its float32 errors) beyond which
 * the identity is recomputed: a third of the 1e-5 the results must meet. The norm of a sum of
 * many independent errors in D dimensions stays close to its root mean square.
 */
export const RECOMPUTE_TOLERANCE = 3e-6;

/**
 * Root mean square error of a similarity from a GEMM tile of unit rows, as a multiple of the unit
 * roundoff: measured 0.16–1.94 u in float32 at D = 16, 64 and 512 on isotropic and clustered rows
 * (mean |s| 0.03–0.97); the largest single error was 9 u.
 */
function typicalDotError(type: TileType): number {
  return 2 * unitRoundoff(type);
}

function unitRoundoff(type: TileType): number {
  return type === 'float32' ? 2 ** -24 : 2 ** -53;
}

/** Rigorous bound on |x(tile) − c·s|: the dot product's, and the roundings of s − (1 − c)·s. */
function xErrorBound(dim: number, type: TileType): number {
  return dotErrorBound(dim, type) + 2 * unitRoundoff(type);
}

/** The largest |x| of a pair the graph does not flag as a near-duplicate, exactly. */
const NOT_DUPLICATE = DUPLICATE_COSINE + 1e-4;

/**
 * Rigorous bound on |d(tile) − d| for pairs with |x| ≤ NOT_DUPLICATE: the error of x times arccos'
 * slope, plus the tile's own rounding of arccos, of r − d and of r and ict (a few ulps of π).
 */
function distanceMargin(dim: number, type: TileType): number {
  // float64 tiles: the Newton step's arccos (forceTiles.ts) is good to about (1e-7)²/sin d.
  const arccos = type === 'float32' ? 16 * Math.PI * unitRoundoff(type) : 1e-11;
  return xErrorBound(dim, type) / Math.sqrt(1 - NOT_DUPLICATE ** 2) + arccos;
}

/** β = −k(r − d)·∂d/∂s for an active pair with scaled cosine x = c·s. */
function repulsionWeight(coefficient: number, radius: number, distance: number, scaled: number): number {
  return (coefficient * (radius - distance) * COSINE_SCALE) / Math.sqrt(1 - scaled * scaled);
}

/**
 * The gradient rows whose estimated error exceeds the tolerance, recomputed in float64 over every
 * pair: row i of `e` against all rows of `others` (skipping row i itself when `self`). An
 * identity's estimate is σ·k·c²·√(Σ_j slope_ij²) over its pairs weighed in float32, with
 * ∂β/∂s = k·c²·slope, slope = (1 + (r − d)·x/√(1 − x²))/√(1 − x²) and x = c·s.
 */
function recomputeUncertainRows(
  gradient: Float64Array,
  e: UnitRows,
  others: UnitRows,
  self: boolean,
  hinge: AngularHinge,
  slopes: Float64Array,
  tileType: TileType,
): number {
  const { count, dim, unit, norms } = e;
  const { coefficient, radius } = hinge;
  const error = typicalDotError(tileType) * coefficient * COSINE_SCALE ** 2;
  const row = new Float64Array(dim);
  let recomputed = 0;
  for (let i = 0; i < count; i++) {
    let size = 0;
    for (let d = i * dim; d < (i + 1) * dim; d++) size += gradient[d]! ** 2;
    if (error * Math.sqrt(slopes[i]!) <= RECOMPUTE_TOLERANCE * Math.sqrt(size) * norms[i]!) continue;
    row.fill(0);
    for (let j = 0; j < others.count; j++) {
      if (self && j === i) continue;
      const s = unitDot(unit, i, others.unit, j, dim);
      const scaled = COSINE_SCALE * s;
      const distance = Math.acos(scaled);
      if (distance < radius) {
        const beta = repulsionWeight(coefficient, radius, distance, scaled);
        for (let d = 0; d < dim; d++) row[d] += beta * (others.unit[j * dim + d]! - s * unit[i * dim + d]!);
      }
    }
    for (let d = 0; d < dim; d++) gradient[i * dim + d] = row[d]! / norms[i]!;
    recomputed++;
  }
  return recomputed;
}

/** out_i += β·(ê_j − s·ê_i), the pair's whole pull in float64. */
function addExactPull(
  out: Float64Array,
  a: Float64Array,
  i: number,
  b: Float64Array,
  j: number,
  dim: number,
  beta: number,
  s: number,
) {
  const ai = i * dim;
  const bj = j * dim;
  for (let d = 0; d < dim; d++) out[ai + d] += beta * (b[bj + d]! - s * a[ai + d]!);
}

/** acc[(firstRow + a)·dim ..] += Σ_b partials[b][a] over the tile's blocks, b ascending. */
function addPartials(
  acc: Float64Array,
  firstRow: number,
  count: number,
  partials: Float32Array | Float64Array,
  panel: Panel,
) {
  const { dim } = panel;
  const blocks = partials.length / (panel.rows * dim);
  for (let b = 0; b < blocks; b++) {
    const base = b * panel.rows * dim;
    for (let a = 0; a < count; a++) {
      const out = (firstRow + a) * dim;
      const src = base + a * dim;
      for (let d = 0; d < dim; d++) acc[out + d] += partials[src + d]!;
    }
  }
}

/**
 * (P⊥(k·c·pull_i) + exact_i) / |e_i| in place in `pull`: the block partials' pull less its
 * component along ê_i (Σ_j β_ij·s_ij·ê_i, with s exact), plus the float64 pairs' whole pulls.
 */
function finishGradient(e: UnitRows, pull: Float64Array, scale: number, exact: Float64Array | null): Float64Array {
  const { count, dim, unit, norms } = e;
  for (let i = 0; i < count; i++) {
    let along = 0;
    for (let d = i * dim; d < (i + 1) * dim; d++) {
      pull[d]! *= scale;
      along += pull[d]! * unit[d]!;
    }
    const inverseNorm = 1 / norms[i]!;
    for (let d = i * dim; d < (i + 1) * dim; d++) {
      const tangential = pull[d]! - along * unit[d]!;
      pull[d] = (exact === null ? tangential : tangential + exact[d]!) * inverseNorm;
    }
  }
  return pull;
}

/** acc[first + j] += Σ_b tile[b][j], b ascending, for a column panel's `count` real rows. */
function addColumnBlocks(
  acc: Float64Array,
  first: number,
  count: number,
  panel: Panel,
  tile: Float64Array | undefined,
) {
  if (tile === undefined) return;
  const blocks = tile.length / panel.rows;
  for (let b = 0; b < blocks; b++) for (let j = 0; j < count; j++) acc[first + j] += tile[b * panel.rows + j]!;
}

/** acc[first + a] += Σ_b tile[a][b], b ascending, for the tile's `count` real rows. */
function addBlocks(
  acc: Float64Array,
  first: number,
  count: number,
  panel: Panel,
  tile: Float32Array | Float64Array | undefined,
) {
  if (tile === undefined) return;
  const blocks = tile.length / panel.rows;
  for (let a = 0; a < count; a++) for (let b = 0; b < blocks; b++) acc[first + a] += tile[a * blocks + b]!;
}

/** The pairs a tile counts: row a < rowCount with column b < colCount, and a < b on a diagonal tile. */
class ValidMasks {
  private readonly masks = new Map<string, Uint8Array>();

  get(left: Panel, right: Panel, diagonal: boolean): Uint8Array {
    const key = `${diagonal}:${left.rows}:${right.rows}:${left.count}:${right.count}`;
    let mask = this.masks.get(key);
    if (mask === undefined) {
      mask = new Uint8Array(left.rows * right.rows);
      for (let a = 0; a < left.count; a++)
        mask.fill(1, a * right.rows + (diagonal ? a + 1 : 0), a * right.rows + right.count);
      this.masks.set(key, mask);
    }
    return mask;
  }
}

/**
 * The exact largest and smallest x = c·s over the pairs of `rows` (against `others`, columns
 * above the row when `self`), given the float64 ones of the flagged pairs and every row's float32
 * extremes over its other pairs. A pair's tile x is within `error` of its exact one, so the exact
 * extreme of the unflagged pairs lies in a row whose tile extreme is within 2·error of the tiles'
 * extreme, and can only beat the flagged pairs' in a row within `error` of theirs: those rows are
 * redone in float64 over all their pairs.
 */
function exactExtremes(
  e: UnitRows,
  others: UnitRows,
  self: boolean,
  rowMax: Float64Array,
  rowMin: Float64Array | null,
  flagged: { max: number; min: number },
  error: number,
): { max: number; min: number } {
  const { count, dim, unit } = e;
  let tileMax = -Infinity;
  let tileMin = Infinity;
  for (let i = 0; i < count; i++) {
    tileMax = Math.max(tileMax, rowMax[i]!);
    if (rowMin) tileMin = Math.min(tileMin, rowMin[i]!);
  }
  const maxFloor = Math.max(tileMax - 2 * error, flagged.max - error);
  const minCeiling = Math.min(tileMin + 2 * error, flagged.min + error);
  let { max, min } = flagged;
  for (let i = 0; i < count; i++) {
    const high = rowMax[i]! >= maxFloor;
    const low = rowMin !== null && rowMin[i]! <= minCeiling;
    if (!high && !low) continue;
    for (let j = self ? i + 1 : 0; j < others.count; j++) {
      const x = COSINE_SCALE * unitDot(unit, i, others.unit, j, dim);
      if (x > max) max = x;
      if (x < min) min = x;
    }
  }
  return { max, min };
}

/** How much was redone in float64: pairs recomputed from their unit rows, and whole rows. */
export interface Refined {
  pairs: number;
  rows: number;
}

interface PairScan {
  gradient: Float64Array | null;
  stats: PairDistanceStats;
  refined: Refined;
}

/** Adds a tile's per-row float32 extremes (and counts) to the running ones of rows from `first`. */
function addRowOutputs(
  first: number,
  count: number,
  tileMax: Float32Array | Float64Array,
  rowMax: Float64Array,
  tileMin: Float32Array | Float64Array | undefined,
  rowMin: Float64Array | null,
) {
  for (let a = 0; a < count; a++) {
    if (tileMax[a]! > rowMax[first + a]!) rowMax[first + a] = tileMax[a]!;
    if (tileMin && rowMin && tileMin[a]! < rowMin[first + a]!) rowMin[first + a] = tileMin[a]!;
  }
}

/** A radius no distance comes near (distances are ≥ 0): statistics without repulsion. */
const NO_RADIUS = -1;

async function scanPairs(
  engine: PairwiseEngine,
  e: UnitRows,
  ict: number,
  repulsion: AngularHinge | null,
): Promise<PairScan> {
  const { count, dim, unit } = e;
  if (count < 2) throw new RangeError(`pair statistics need at least 2 rows, got ${count}`);
  const { tileRows, tileType, reductionRows } = engine.forcePlan(dim);
  const margin = distanceMargin(dim, tileType);
  const panels = packPanels(unit, count, dim, tileRows, tileType, reductionRows);
  const radius = repulsion?.radius ?? NO_RADIUS;
  const coefficient = repulsion?.coefficient ?? 0;
  const forces = repulsion !== null;
  const pull = forces ? new Float64Array(count * dim) : null;
  let exact: Float64Array | null = null;
  const slopes = new Float64Array(count);
  const rowDistances = new Float64Array(count);
  const exactDistances = new Float64Array(count);
  const rowMax = new Float64Array(count).fill(-Infinity);
  const rowMin = new Float64Array(count).fill(Infinity);
  const flaggedX = { max: -Infinity, min: Infinity };
  const masks = new ValidMasks();
  const duplicateFloor = NOT_DUPLICATE + xErrorBound(dim, tileType);
  let aboveIct = 0;
  let refinedPairs = 0;
  for (const [r, rowPanel] of panels.entries()) {
    const rowStart = r * tileRows;
    for (let c = r; c < panels.length; c++) {
      const colPanel = panels[c]!;
      const colStart = c * tileRows;
      const diagonal = c === r;
      const out: ForceTileOutputs = await engine.forceTile(
        { diagonal, columns: true, forces, stats: true, reductionRows },
        rowPanel,
        colPanel,
        masks.get(rowPanel, colPanel, diagonal),
        { radius, ict, margin },
      );
      const flagged = out.pairs.length / 2;
      refinedPairs += flagged;
      for (let f = 0; f < flagged; f++) {
        const i = rowStart + Number(out.pairs[f]);
        const j = colStart + Number(out.pairs[flagged + f]);
        const s = unitDot(unit, i, unit, j, dim);
        const scaled = COSINE_SCALE * s;
        const distance = Math.acos(scaled);
        // The tiles' mean holds every pair's tile distance; a near-duplicate's (flagged in every
        // pass, whatever the radius) is swapped for the float64 one.
        if (Math.abs(scaled) > duplicateFloor) exactDistances[i] += distance - out.pairDistances![f]!;
        if (distance > ict) aboveIct++;
        if (scaled > flaggedX.max) flaggedX.max = scaled;
        if (scaled < flaggedX.min) flaggedX.min = scaled;
        if (forces && distance < radius) {
          const beta = repulsionWeight(coefficient, radius, distance, scaled);
          exact ??= new Float64Array(count * dim);
          addExactPull(exact, unit, i, unit, j, dim, beta, s);
          addExactPull(exact, unit, j, unit, i, dim, beta, s);
        }
      }
      aboveIct += out.aboveIct!;
      addRowOutputs(rowStart, rowPanel.count, out.rowMax, rowMax, out.rowMin, rowMin);
      addBlocks(rowDistances, rowStart, rowPanel.count, rowPanel, out.distances);
      if (pull === null) continue;
      addPartials(pull, rowStart, rowPanel.count, out.rowPartials!, rowPanel);
      addBlocks(slopes, rowStart, rowPanel.count, rowPanel, out.rowSlopes);
      if (diagonal) continue;
      addPartials(pull, colStart, colPanel.count, out.colPartials!, colPanel);
      addColumnBlocks(slopes, colStart, colPanel.count, colPanel, out.colSlopes);
    }
  }
  let sum = 0;
  for (let i = 0; i < count; i++) sum += rowDistances[i]! + exactDistances[i]!;
  const pairs = (count * (count - 1)) / 2;
  const extremes = exactExtremes(e, e, true, rowMax, rowMin, flaggedX, xErrorBound(dim, tileType));
  let gradient: Float64Array | null = null;
  let rows = 0;
  if (pull !== null && repulsion !== null) {
    gradient = finishGradient(e, pull, coefficient * COSINE_SCALE, exact);
    rows = recomputeUncertainRows(gradient, e, e, true, repulsion, slopes, tileType);
  }
  return {
    gradient,
    stats: {
      distance: { min: Math.acos(extremes.max), avg: sum / pairs, max: Math.acos(extremes.min) },
      propIct: aboveIct / pairs,
    },
    refined: { pairs: refinedPairs, rows },
  };
}

/** Repulsion between the identities and the pair statistics, in one pass over the pairs. */
export async function pairRepulsion(
  engine: PairwiseEngine,
  e: UnitRows,
  repulsion: AngularHinge,
  ict: number,
): Promise<RepulsionResult & { refined: Refined }> {
  const scan = await scanPairs(engine, e, ict, repulsion);
  return { gradient: scan.gradient!, stats: scan.stats, refined: scan.refined };
}

/** Pair statistics alone (no gradient), as after the last iteration. */
export async function pairDistanceStats(engine: PairwiseEngine, e: UnitRows, ict: number): Promise<PairDistanceStats> {
  return (await scanPairs(engine, e, ict, null)).stats;
}

/**
 * The exclusion-gallery term: each identity is pushed out of radius c0 around every real
 * embedding; the gallery never moves. Tiles of identities × gallery, refined as above; an
 * identity's sums run over the gallery in ascending order.
 */
export async function galleryExclusion(
  engine: PairwiseEngine,
  e: UnitRows,
  gallery: UnitRows,
  exclusion: AngularHinge,
): Promise<ExclusionResult & { refined: Refined }> {
  if (gallery.dim !== e.dim)
    throw new RangeError(`gallery embeddings have dimension ${gallery.dim}, identities ${e.dim}`);
  const { count, dim, unit } = e;
  const { coefficient, radius } = exclusion;
  const { tileRows, tileType, reductionRows } = engine.forcePlan(dim);
  const margin = distanceMargin(dim, tileType);
  const rowPanels = packPanels(unit, count, dim, tileRows, tileType, reductionRows);
  const pull = new Float64Array(count * dim);
  let exact: Float64Array | null = null;
  const slopes = new Float64Array(count);
  const within = new Uint8Array(count);
  const rowMax = new Float64Array(count).fill(-Infinity);
  const flaggedX = { max: -Infinity, min: Infinity };
  const masks = new ValidMasks();
  let refinedPairs = 0;
  // Gallery panels are packed one at a time: the gallery may be far larger than the identities.
  for (let galleryStart = 0; galleryStart < gallery.count; galleryStart += tileRows) {
    const galleryEnd = Math.min(galleryStart + tileRows, gallery.count);
    const galleryPanel = packPanel(gallery.unit, galleryStart, galleryEnd, dim, tileType, reductionRows);
    for (const [r, rowPanel] of rowPanels.entries()) {
      const rowStart = r * tileRows;
      const out = await engine.forceTile(
        { diagonal: false, columns: false, forces: true, stats: false, reductionRows },
        rowPanel,
        galleryPanel,
        masks.get(rowPanel, galleryPanel, false),
        // No pair is near an ict of −1: the exclusion has no statistics of its own.
        { radius, ict: NO_RADIUS, margin },
      );
      const flagged = out.pairs.length / 2;
      refinedPairs += flagged;
      for (let f = 0; f < flagged; f++) {
        const i = rowStart + Number(out.pairs[f]);
        const m = galleryStart + Number(out.pairs[flagged + f]);
        const s = unitDot(unit, i, gallery.unit, m, dim);
        const scaled = COSINE_SCALE * s;
        const distance = Math.acos(scaled);
        if (scaled > flaggedX.max) flaggedX.max = scaled;
        if (distance < radius) {
          within[i] = 1;
          exact ??= new Float64Array(count * dim);
          addExactPull(exact, unit, i, gallery.unit, m, dim, repulsionWeight(coefficient, radius, distance, scaled), s);
        }
      }
      addRowOutputs(rowStart, rowPanel.count, out.rowMax, rowMax, undefined, null);
      addPartials(pull, rowStart, rowPanel.count, out.rowPartials!, rowPanel);
      addBlocks(slopes, rowStart, rowPanel.count, rowPanel, out.rowSlopes);
    }
  }
  let identitiesWithin = 0;
  // Every weighed pair has a slope of at least 1.
  for (let i = 0; i < count; i++) if (within[i] || slopes[i]! > 0) identitiesWithin++;
  const extremes = exactExtremes(e, gallery, false, rowMax, null, flaggedX, xErrorBound(dim, tileType));
  const gradient = finishGradient(e, pull, coefficient * COSINE_SCALE, exact);
  const rows = recomputeUncertainRows(gradient, e, gallery, false, exclusion, slopes, tileType);
  return {
    gradient,
    stats: { minDistance: Math.acos(extremes.max), identitiesWithin },
    refined: { pairs: refinedPairs, rows },
  };
}
