/**
 * The embedding-space terms of the Langevin potential and the pair statistics on the engine:
 * the same quantities as diffusion/repulsion.ts (the float64 JavaScript reference kernel), with
 * the dot products from float64 GEMM tiles (see tilePlan.ts) and the weighted row sums of the
 * gradient from float64 GEMMs:
 *   ∂U_i/∂e_i = (Σ_j β_ij·ê_j − (Σ_j β_ij·s_ij)·ê_i) / |e_i|,  β_ij = −k(r − d_ij)·∂d/∂s ≥ 0
 * over the active pairs d_ij < r. Pairs i < j are visited once, in tiles of the upper triangle;
 * the scalar sums (Σ_j β_ij·s_ij, the distances of row i) are added in ascending pair index
 * whatever the tile size.
 */
import { COSINE_SCALE, type UnitRows } from '../diffusion/angular.js';
import type { AngularHinge } from '../diffusion/langevinPairs.js';
import type { ExclusionResult, PairDistanceStats, RepulsionResult } from '../diffusion/repulsion.js';
import type { PairwiseEngine } from './engine.js';
import { packPanels } from './panels.js';

/** β = −k(r − d)·∂d/∂s for an active pair with scaled cosine x = c·s. */
function repulsionWeight(coefficient: number, radius: number, distance: number, scaled: number): number {
  return (coefficient * (radius - distance) * COSINE_SCALE) / Math.sqrt(1 - scaled * scaled);
}

function addRows(out: Float64Array, start: number, rows: Float64Array): void {
  for (let k = 0; k < rows.length; k++) out[start + k] += rows[k]!;
}

/** (pull_i − weight_i·ê_i) / |e_i| in place. */
function finishGradient(e: UnitRows, pull: Float64Array, weight: Float64Array): Float64Array {
  const { count, dim, unit, norms } = e;
  for (let i = 0; i < count; i++) {
    const w = weight[i]!;
    const inverseNorm = 1 / norms[i]!;
    for (let d = i * dim; d < (i + 1) * dim; d++) pull[d] = (pull[d]! - w * unit[d]!) * inverseNorm;
  }
  return pull;
}

interface PairScan {
  gradient: Float64Array | null;
  stats: PairDistanceStats;
}

async function scanPairs(
  engine: PairwiseEngine,
  e: UnitRows,
  ict: number,
  repulsion: AngularHinge | null,
): Promise<PairScan> {
  const { count, dim, unit } = e;
  if (count < 2) throw new RangeError(`pair statistics need at least 2 rows, got ${count}`);
  const { tileRows, tileType } = engine.plan(dim, 'exact');
  const panels = packPanels(unit, count, dim, tileRows, tileType);
  const radius = repulsion?.radius ?? -Infinity;
  const coefficient = repulsion?.coefficient ?? 0;
  const pull = repulsion ? new Float64Array(count * dim) : null;
  const weight = new Float64Array(count);
  const rowDistances = new Float64Array(count);
  const betas = new Float64Array(repulsion ? tileRows * tileRows : 0);
  let min = Infinity;
  let max = -Infinity;
  let aboveIct = 0;
  for (const [r, rowPanel] of panels.entries()) {
    const rowStart = r * tileRows;
    for (let c = r; c < panels.length; c++) {
      const colPanel = panels[c]!;
      const colStart = c * tileRows;
      const diagonal = c === r;
      const tile = await engine.similarities(rowPanel, colPanel);
      const stride = colPanel.rows;
      const cols = colPanel.count;
      let active = 0;
      if (pull !== null) betas.fill(0, 0, rowPanel.count * cols);
      for (let a = 0; a < rowPanel.count; a++) {
        const i = rowStart + a;
        let distanceSum = rowDistances[i]!;
        let weightSum = weight[i]!;
        for (let b = diagonal ? a + 1 : 0; b < cols; b++) {
          const j = colStart + b;
          const s = tile[a * stride + b]!;
          const scaled = COSINE_SCALE * s;
          const distance = Math.acos(scaled);
          distanceSum += distance;
          if (distance < min) min = distance;
          if (distance > max) max = distance;
          if (distance > ict) aboveIct++;
          if (distance < radius) {
            const beta = repulsionWeight(coefficient, radius, distance, scaled);
            betas[a * cols + b] = beta;
            // On the diagonal tile the pull of both ends comes from one symmetric product.
            if (diagonal) betas[b * cols + a] = beta;
            weightSum += beta * s;
            weight[j] += beta * s;
            active++;
          }
        }
        rowDistances[i] = distanceSum;
        weight[i] = weightSum;
      }
      if (pull === null || active === 0) continue;
      const rowUnits = unit.subarray(rowStart * dim, (rowStart + rowPanel.count) * dim);
      const colUnits = unit.subarray(colStart * dim, (colStart + cols) * dim);
      const tileBetas = betas.subarray(0, rowPanel.count * cols);
      addRows(pull, rowStart * dim, await engine.weightedRows(tileBetas, rowPanel.count, cols, colUnits, dim));
      if (!diagonal)
        addRows(pull, colStart * dim, await engine.weightedRows(tileBetas, cols, rowPanel.count, rowUnits, dim, true));
    }
  }
  let sum = 0;
  for (let i = 0; i < count; i++) sum += rowDistances[i]!;
  const pairs = (count * (count - 1)) / 2;
  return {
    gradient: pull === null ? null : finishGradient(e, pull, weight),
    stats: { distance: { min, avg: sum / pairs, max }, propIct: aboveIct / pairs },
  };
}

/** Repulsion between the identities and the pair statistics, in one pass over the pairs. */
export async function pairRepulsion(
  engine: PairwiseEngine,
  e: UnitRows,
  repulsion: AngularHinge,
  ict: number,
): Promise<RepulsionResult> {
  const scan = await scanPairs(engine, e, ict, repulsion);
  return { gradient: scan.gradient!, stats: scan.stats };
}

/** Pair statistics alone (no gradient), as after the last iteration. */
export async function pairDistanceStats(engine: PairwiseEngine, e: UnitRows, ict: number): Promise<PairDistanceStats> {
  return (await scanPairs(engine, e, ict, null)).stats;
}

/**
 * The exclusion-gallery term: each identity is pushed out of radius c0 around every real
 * embedding; the gallery never moves. Tiles of identities × gallery.
 */
export async function galleryExclusion(
  engine: PairwiseEngine,
  e: UnitRows,
  gallery: UnitRows,
  exclusion: AngularHinge,
): Promise<ExclusionResult> {
  if (gallery.dim !== e.dim)
    throw new RangeError(`gallery embeddings have dimension ${gallery.dim}, identities ${e.dim}`);
  const { count, dim, unit } = e;
  const { coefficient, radius } = exclusion;
  const { tileRows, tileType } = engine.plan(dim, 'exact');
  const rowPanels = packPanels(unit, count, dim, tileRows, tileType);
  const galleryPanels = packPanels(gallery.unit, gallery.count, dim, tileRows, tileType);
  const pull = new Float64Array(count * dim);
  const weight = new Float64Array(count);
  const within = new Uint8Array(count);
  const betas = new Float64Array(tileRows * tileRows);
  let minDistance = Infinity;
  for (const [r, rowPanel] of rowPanels.entries()) {
    const rowStart = r * tileRows;
    for (const [g, galleryPanel] of galleryPanels.entries()) {
      const galleryStart = g * tileRows;
      const tile = await engine.similarities(rowPanel, galleryPanel);
      const stride = galleryPanel.rows;
      const cols = galleryPanel.count;
      let active = 0;
      betas.fill(0, 0, rowPanel.count * cols);
      for (let a = 0; a < rowPanel.count; a++) {
        const i = rowStart + a;
        let weightSum = weight[i]!;
        for (let b = 0; b < cols; b++) {
          const s = tile[a * stride + b]!;
          const scaled = COSINE_SCALE * s;
          const distance = Math.acos(scaled);
          if (distance < minDistance) minDistance = distance;
          if (distance < radius) {
            within[i] = 1;
            const beta = repulsionWeight(coefficient, radius, distance, scaled);
            betas[a * cols + b] = beta;
            weightSum += beta * s;
            active++;
          }
        }
        weight[i] = weightSum;
      }
      if (active === 0) continue;
      const galleryUnits = gallery.unit.subarray(galleryStart * dim, (galleryStart + cols) * dim);
      addRows(
        pull,
        rowStart * dim,
        await engine.weightedRows(betas.subarray(0, rowPanel.count * cols), rowPanel.count, cols, galleryUnits, dim),
      );
    }
  }
  let identitiesWithin = 0;
  for (let i = 0; i < count; i++) identitiesWithin += within[i]!;
  return { gradient: finishGradient(e, pull, weight), stats: { minDistance, identitiesWithin } };
}
