/**
 * Exact top-k search: for each of N queries, the k gallery rows of highest cosine similarity,
 * best first, ties broken by the lower gallery index. The gallery streams through in blocks of
 * one tile, so memory is O(N·(D + k) + tile) whatever its size.
 *
 * Exact means equal to a float64 scan: each tile's similarities come from the GEMM in the tile
 * type, and every gallery row whose approximate similarity lies within the GEMM's rigorous error
 * bound of a query's current k-th best is recomputed in float64 before it may enter the list.
 * A row skipped that way was below the k-th best even with the error at its worst, and the k-th
 * best only rises, so no skipped row can belong to the answer.
 */
import { unitDot, unitRows } from '../diffusion/angular.js';
import type { PairwiseEngine } from './engine.js';
import { galleryBlocks, type GallerySource } from './galleryBlocks.js';
import { packPanel, packPanels } from './panels.js';
import { dotErrorBound } from './tilePlan.js';

export interface TopKRequest {
  /** queryCount × dim embeddings (any norm; compared by direction). */
  queries: Float32Array | Float64Array;
  queryCount: number;
  dim: number;
  /** Gallery embeddings in gallery order; index = position in this sequence of rows. */
  gallery: GallerySource;
  k: number;
}

export interface TopKMatches {
  queryCount: number;
  /** Matches per query: the requested k, or the gallery size when smaller. */
  k: number;
  /** Number of gallery rows seen. */
  galleryCount: number;
  /** queryCount × k gallery indices, best first. */
  indices: Int32Array;
  /** queryCount × k cosine similarities â·b̂ in float64, matching `indices`. */
  similarities: Float64Array;
}

function checkRequest(request: TopKRequest): void {
  const { queries, queryCount, dim, k } = request;
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (!Number.isInteger(queryCount) || queryCount < 0) throw new RangeError(`queryCount must be a non-negative integer, got ${queryCount}`);
  if (queries.length !== queryCount * dim) {
    throw new RangeError(`queries: expected ${queryCount} × ${dim} values, got ${queries.length}`);
  }
}

export async function searchTopK(engine: PairwiseEngine, request: TopKRequest): Promise<TopKMatches> {
  checkRequest(request);
  const { queryCount, dim, k } = request;
  const { tileRows, tileType } = engine.plan(dim, 'screened');
  const queries = unitRows(request.queries, queryCount, dim, 'query');
  const queryPanels = packPanels(queries.unit, queryCount, dim, tileRows, tileType);
  const bound = dotErrorBound(dim, tileType);
  const best = new Float64Array(queryCount * k).fill(-Infinity);
  const bestIndex = new Int32Array(queryCount * k).fill(-1);
  const filled = new Int32Array(queryCount);
  let galleryCount = 0;
  for await (const block of galleryBlocks(request.gallery, dim, tileRows)) {
    const gallery = unitRows(block.rows, block.count, dim, 'gallery', block.start);
    const galleryPanel = packPanel(gallery.unit, 0, block.count, dim, tileType);
    galleryCount += block.count;
    for (const [p, panel] of queryPanels.entries()) {
      const tile = await engine.similarities(panel, galleryPanel);
      const stride = galleryPanel.rows;
      for (let r = 0; r < panel.count; r++) {
        const query = p * tileRows + r;
        const base = query * k;
        const last = base + k - 1;
        let threshold = filled[query] === k ? best[last]! - bound : -Infinity;
        const tileRow = r * stride;
        for (let c = 0; c < block.count; c++) {
          if (tile[tileRow + c]! < threshold) continue;
          const exact = unitDot(queries.unit, query, gallery.unit, c, dim);
          let position: number;
          if (filled[query]! < k) {
            position = base + filled[query]!;
            filled[query]!++;
          } else if (exact > best[last]!) {
            position = last;
          } else {
            continue;
          }
          // Rows arrive in gallery order, so an equal similarity already listed has the lower
          // index and stays ahead.
          while (position > base && best[position - 1]! < exact) {
            best[position] = best[position - 1]!;
            bestIndex[position] = bestIndex[position - 1]!;
            position--;
          }
          best[position] = exact;
          bestIndex[position] = block.start + c;
          if (filled[query] === k) threshold = best[last]! - bound;
        }
      }
    }
  }
  const matches = Math.min(k, galleryCount);
  const indices = new Int32Array(queryCount * matches);
  const similarities = new Float64Array(queryCount * matches);
  for (let q = 0; q < queryCount; q++) {
    indices.set(bestIndex.subarray(q * k, q * k + matches), q * matches);
    similarities.set(best.subarray(q * k, q * k + matches), q * matches);
  }
  return { queryCount, k: matches, galleryCount, indices, similarities };
}
