/**
 * The embedding-space terms of the Langevin potential and the pair statistics on the engine:
 * the same quantities as diffusion/repulsion.ts (the float64 JavaScript reference kernel),
 *   ∂U_i/∂e_i = (Σ_j β_ij·ê_j − (Σ_j β_ij·s_ij)·ê_i) / |e_i|,  β_ij = −k(r − d_ij)·∂d/∂s ≥ 0
 * over the active pairs d_ij < r, from float32 similarity tiles ('forces' in tilePlan.ts).
 *
 * Precision. A float32 GEMM tile errs by at most dotErrorBound (3.1e-5 at D = 512; measured at
 * most 4e-7 on unit rows), and the pairs where that matters are recomputed in float64 from the
 * unit rows (unitDot, the reference's own dot product):
 * - near-duplicates (|c·s| > DUPLICATE_COSINE): arccos' slope magnifies the error of s, and the
 *   pair's pull β(ê_j − s·ê_i) cancels, so the whole pair is done in float64, outside the GEMM;
 * - pairs within the rigorous error margin of the radius (active or not as in float64), of ict, of
 *   the running minimum or maximum: the counts and extremes of the statistics are then exactly
 *   the float64 ones. Only the mean sums float32 distances (relative error about 1e-10).
 * The weighted sums Σ_j β_ij·ê_j are float32 GEMMs of REDUCTION_ROWS terms each (block partials),
 * added in float64. Finally each identity's force is checked: the float32 errors of its weights
 * add up to about σ·√(Σ_j (∂β_ij/∂s·|ê_j − s·ê_i|)²) (independent roundings of σ each), and
 * an identity where that exceeds RECOMPUTE_TOLERANCE of its force (one pushed only by a few pairs
 * just inside the radius, where β = k(r − d)·… has a relative error δd/(r − d), say) is
 * recomputed entirely in float64, row by row over all pairs.
 * Measured against the reference: test/services/worker/pairwise/angularRepulsion.test.ts.
 *
 * Determinism: a pair's similarity has the same bits in every tile (panels padded, see
 * tilePlan.ts), so which pairs are recomputed and every β depend on the pair alone; each
 * identity's scalar sums are added in ascending pair index and its weighted sums in ascending
 * block order (the tiles are visited row tile by row tile, columns ascending, and the pairs (i, j)
 * with i < j come first from the column side, then from the row side), so the results have the
 * same bits whatever the tile size.
 */
import { COSINE_SCALE, unitDot, type UnitRows } from '../diffusion/angular.js';
import type { AngularHinge } from '../diffusion/langevinPairs.js';
import type { ExclusionResult, PairDistanceStats, RepulsionResult } from '../diffusion/repulsion.js';
import type { PairwiseEngine } from './engine.js';
import { packPanels, type Panel } from './panels.js';
import { dotErrorBound, type TileType } from './tilePlan.js';

/** Pairs with |c·s| above this are computed entirely in float64 (see the file comment). */
export const DUPLICATE_COSINE = 0.75;

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
  return 2 * (type === 'float32' ? 2 ** -24 : 2 ** -53);
}

const COSINE_SQUARED = COSINE_SCALE * COSINE_SCALE;

/** Rigorous bound on |d(tile s) − d(s)| for pairs with |c·s| ≤ DUPLICATE_COSINE. */
function distanceMargin(dim: number, type: TileType): number {
  return (dotErrorBound(dim, type) * COSINE_SCALE) / Math.sqrt(1 - DUPLICATE_COSINE ** 2);
}

/** β = −k(r − d)·∂d/∂s for an active pair with scaled cosine x = c·s. */
function repulsionWeight(coefficient: number, radius: number, distance: number, scaled: number): number {
  return (coefficient * (radius - distance) * COSINE_SCALE) / Math.sqrt(1 - scaled * scaled);
}

/**
 * |∂β/∂s|·|ê_j − s·ê_i| for an active pair: how far its pull moves per unit error of s. With
 * x = c·s, ∂β/∂s = k·c²·(1 + (r − d)·x/√(1 − x²)) / (1 − x²), and |ê_j − s·ê_i| = √(1 − s²).
 */
function weightSensitivity(coefficient: number, radius: number, distance: number, scaled: number): number {
  const inverse = 1 / Math.sqrt(1 - scaled * scaled);
  return coefficient * COSINE_SQUARED * inverse * Math.abs(1 + (radius - distance) * scaled * inverse);
}

/**
 * The gradient rows whose estimated error exceeds the tolerance, recomputed in float64 over every
 * pair: row i of `e` against all rows of `others` (skipping row i itself when `self`).
 */
function recomputeUncertainRows(
  gradient: Float64Array,
  e: UnitRows,
  others: UnitRows,
  self: boolean,
  hinge: AngularHinge,
  sensitivity: Float64Array,
  tileType: TileType,
): number {
  const { count, dim, unit, norms } = e;
  const { coefficient, radius } = hinge;
  const error = typicalDotError(tileType);
  const row = new Float64Array(dim);
  let recomputed = 0;
  for (let i = 0; i < count; i++) {
    let size = 0;
    for (let d = i * dim; d < (i + 1) * dim; d++) size += gradient[d]! ** 2;
    if (error * Math.sqrt(sensitivity[i]!) <= RECOMPUTE_TOLERANCE * Math.sqrt(size) * norms[i]!) continue;
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

/** acc[(firstRow + a)·dim ..] += Σ_b partials[b][a] over the panel's blocks, b ascending. */
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

/** ((pull_i + exact_i) − weight_i·ê_i) / |e_i| in place in `pull`. */
function finishGradient(
  e: UnitRows,
  pull: Float64Array,
  weight: Float64Array,
  exact: Float64Array | null,
): Float64Array {
  const { count, dim, unit, norms } = e;
  for (let i = 0; i < count; i++) {
    const w = weight[i]!;
    const inverseNorm = 1 / norms[i]!;
    for (let d = i * dim; d < (i + 1) * dim; d++) {
      const pulled = exact === null ? pull[d]! : pull[d]! + exact[d]!;
      pull[d] = (pulled - w * unit[d]!) * inverseNorm;
    }
  }
  return pull;
}

function newBetas(type: TileType, size: number): Float32Array | Float64Array {
  return type === 'float32' ? new Float32Array(size) : new Float64Array(size);
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

async function scanPairs(
  engine: PairwiseEngine,
  e: UnitRows,
  ict: number,
  repulsion: AngularHinge | null,
): Promise<PairScan> {
  const { count, dim, unit } = e;
  if (count < 2) throw new RangeError(`pair statistics need at least 2 rows, got ${count}`);
  const { tileRows, tileType } = engine.plan(dim, 'forces');
  const margin = distanceMargin(dim, tileType);
  const panels = packPanels(unit, count, dim, tileRows, tileType);
  const radius = repulsion?.radius ?? -Infinity;
  const coefficient = repulsion?.coefficient ?? 0;
  const pull = repulsion ? new Float64Array(count * dim) : null;
  let exact: Float64Array | null = null;
  const weight = new Float64Array(count);
  const sensitivity = new Float64Array(repulsion ? count : 0);
  const rowDistances = new Float64Array(count);
  const panelRows = panels[0]!.rows;
  const betas = newBetas(tileType, repulsion ? panelRows * panelRows : 0);
  let min = Infinity;
  let max = -Infinity;
  let aboveIct = 0;
  let refinedPairs = 0;
  for (const [r, rowPanel] of panels.entries()) {
    const rowStart = r * tileRows;
    for (let c = r; c < panels.length; c++) {
      const colPanel = panels[c]!;
      const colStart = c * tileRows;
      const diagonal = c === r;
      const tile = await engine.similarities(rowPanel, colPanel);
      const stride = colPanel.rows;
      const cols = colPanel.count;
      const tileBetas = betas.subarray(0, rowPanel.rows * stride);
      let active = 0;
      if (pull !== null) tileBetas.fill(0);
      for (let a = 0; a < rowPanel.count; a++) {
        const i = rowStart + a;
        let distanceSum = rowDistances[i]!;
        let weightSum = weight[i]!;
        for (let b = diagonal ? a + 1 : 0; b < cols; b++) {
          const j = colStart + b;
          let s = tile[a * stride + b]!;
          let scaled = COSINE_SCALE * s;
          const duplicate = scaled > DUPLICATE_COSINE || scaled < -DUPLICATE_COSINE;
          if (duplicate) {
            s = unitDot(unit, i, unit, j, dim);
            scaled = COSINE_SCALE * s;
            refinedPairs++;
          }
          // The mean sums the tiles' distances (float64 for duplicates), whether or not the pass
          // has a radius: a state's statistics are the same whichever pass computed them.
          let distance = Math.acos(scaled);
          distanceSum += distance;
          let refined = duplicate;
          if (!refined && (Math.abs(distance - radius) < margin || Math.abs(distance - ict) < margin)) {
            s = unitDot(unit, i, unit, j, dim);
            scaled = COSINE_SCALE * s;
            distance = Math.acos(scaled);
            refined = true;
            refinedPairs++;
          }
          if (distance > ict) aboveIct++;
          // Extremes from float64 distances only; a float32 one beyond the margin cannot be one.
          if (distance < min + margin || distance > max - margin) {
            const exactDistance = refined ? distance : Math.acos(COSINE_SCALE * unitDot(unit, i, unit, j, dim));
            if (exactDistance < min) min = exactDistance;
            if (exactDistance > max) max = exactDistance;
          }
          if (distance < radius) {
            const inverse = 1 / Math.sqrt(1 - scaled * scaled);
            const gap = radius - distance;
            const beta = coefficient * gap * COSINE_SCALE * inverse;
            if (duplicate) {
              exact ??= new Float64Array(count * dim);
              addExactPull(exact, unit, i, unit, j, dim, beta, s);
              addExactPull(exact, unit, j, unit, i, dim, beta, s);
              continue;
            }
            tileBetas[a * stride + b] = beta;
            // On the diagonal tile the pull of both ends comes from the rows side alone.
            if (diagonal) tileBetas[b * stride + a] = beta;
            weightSum += beta * s;
            weight[j] += beta * s;
            if (!refined) {
              // weightSensitivity, inlined: this loop runs for every pair.
              const g = coefficient * COSINE_SQUARED * inverse * (1 + gap * scaled * inverse);
              sensitivity[i] += g * g;
              sensitivity[j] += g * g;
            }
            active++;
          }
        }
        rowDistances[i] = distanceSum;
        weight[i] = weightSum;
      }
      if (pull === null || active === 0) continue;
      addPartials(
        pull,
        rowStart,
        rowPanel.count,
        await engine.blockPartials(tileBetas, rowPanel, colPanel, 'rows'),
        rowPanel,
      );
      if (!diagonal)
        addPartials(
          pull,
          colStart,
          cols,
          await engine.blockPartials(tileBetas, rowPanel, colPanel, 'columns'),
          colPanel,
        );
    }
  }
  let sum = 0;
  for (let i = 0; i < count; i++) sum += rowDistances[i]!;
  const pairs = (count * (count - 1)) / 2;
  let gradient: Float64Array | null = null;
  let rows = 0;
  if (pull !== null && repulsion !== null) {
    gradient = finishGradient(e, pull, weight, exact);
    rows = recomputeUncertainRows(gradient, e, e, true, repulsion, sensitivity, tileType);
  }
  return {
    gradient,
    stats: { distance: { min, avg: sum / pairs, max }, propIct: aboveIct / pairs },
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
  const { tileRows, tileType } = engine.plan(dim, 'forces');
  const margin = distanceMargin(dim, tileType);
  const rowPanels = packPanels(unit, count, dim, tileRows, tileType);
  const pull = new Float64Array(count * dim);
  let exact: Float64Array | null = null;
  const weight = new Float64Array(count);
  const sensitivity = new Float64Array(count);
  const within = new Uint8Array(count);
  const betas = newBetas(tileType, rowPanels[0]!.rows * Math.max(rowPanels[0]!.rows, tileRows));
  let minDistance = Infinity;
  let refinedPairs = 0;
  // Gallery panels are packed one at a time: the gallery may be far larger than the identities.
  for (let galleryStart = 0; galleryStart < gallery.count; galleryStart += tileRows) {
    const [galleryPanel] = packPanels(
      gallery.unit.subarray(galleryStart * dim, Math.min(galleryStart + tileRows, gallery.count) * dim),
      Math.min(tileRows, gallery.count - galleryStart),
      dim,
      tileRows,
      tileType,
    );
    const stride = galleryPanel!.rows;
    const cols = galleryPanel!.count;
    for (const [r, rowPanel] of rowPanels.entries()) {
      const rowStart = r * tileRows;
      const tile = await engine.similarities(rowPanel, galleryPanel!);
      const tileBetas = betas.subarray(0, rowPanel.rows * stride);
      tileBetas.fill(0);
      let active = 0;
      for (let a = 0; a < rowPanel.count; a++) {
        const i = rowStart + a;
        let weightSum = weight[i]!;
        for (let b = 0; b < cols; b++) {
          const m = galleryStart + b;
          let s = tile[a * stride + b]!;
          let scaled = COSINE_SCALE * s;
          const duplicate = scaled > DUPLICATE_COSINE || scaled < -DUPLICATE_COSINE;
          if (duplicate) {
            s = unitDot(unit, i, gallery.unit, m, dim);
            scaled = COSINE_SCALE * s;
            refinedPairs++;
          }
          let distance = Math.acos(scaled);
          let refined = duplicate;
          if (!refined && Math.abs(distance - radius) < margin) {
            s = unitDot(unit, i, gallery.unit, m, dim);
            scaled = COSINE_SCALE * s;
            distance = Math.acos(scaled);
            refined = true;
            refinedPairs++;
          }
          if (distance < minDistance + margin) {
            const exactDistance = refined ? distance : Math.acos(COSINE_SCALE * unitDot(unit, i, gallery.unit, m, dim));
            if (exactDistance < minDistance) minDistance = exactDistance;
          }
          if (distance < radius) {
            within[i] = 1;
            const beta = repulsionWeight(coefficient, radius, distance, scaled);
            if (duplicate) {
              exact ??= new Float64Array(count * dim);
              addExactPull(exact, unit, i, gallery.unit, m, dim, beta, s);
              continue;
            }
            tileBetas[a * stride + b] = beta;
            weightSum += beta * s;
            if (!refined) sensitivity[i] += weightSensitivity(coefficient, radius, distance, scaled) ** 2;
            active++;
          }
        }
        weight[i] = weightSum;
      }
      if (active === 0) continue;
      addPartials(
        pull,
        rowStart,
        rowPanel.count,
        await engine.blockPartials(tileBetas, rowPanel, galleryPanel!, 'rows'),
        rowPanel,
      );
    }
  }
  let identitiesWithin = 0;
  for (let i = 0; i < count; i++) identitiesWithin += within[i]!;
  const gradient = finishGradient(e, pull, weight, exact);
  const rows = recomputeUncertainRows(gradient, e, gallery, false, exclusion, sensitivity, tileType);
  return { gradient, stats: { minDistance, identitiesWithin }, refined: { pairs: refinedPairs, rows } };
}
