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
  if (!Number.isInteger(queryCount) || queryCount < 0)
    throw new RangeError(`queryCount must be a non-negative integer, got ${queryCount}`);
  if (queries.length !== queryCount * dim) {
    throw new RangeError(`queries: expected ${queryCount} × ${dim} values, got ${queries.length}`);
  }
}

/** Each query's best k so far, best first; equal similarities keep their arrival order. */
class BestLists {
  readonly best: Float64Array;
  readonly index: Int32Array;
  readonly filled: Int32Array;

  constructor(
    queryCount: number,
    private readonly k: number,
  ) {
    this.best = new Float64Array(queryCount * k).fill(-Infinity);
    this.index = new Int32Array(queryCount * k).fill(-1);
    this.filled = new Int32Array(queryCount);
  }

  /**
   * Offers gallery row `row` with exact similarity `similarity` to `query`'s list; returns the
   * similarity a row must reach to enter it from now on (−∞ while the list is not full). Rows
   * arrive in gallery order, so an equal similarity already listed has the lower index and stays
   * ahead.
   */
  offer(query: number, row: number, similarity: number): number {
    const { best, index, k } = this;
    const base = query * k;
    const last = base + k - 1;
    let position: number;
    if (this.filled[query]! < k) {
      position = base + this.filled[query]!;
      this.filled[query]!++;
    } else if (similarity > best[last]!) {
      position = last;
    } else {
      return best[last]!;
    }
    while (position > base && best[position - 1]! < similarity) {
      best[position] = best[position - 1]!;
      index[position] = index[position - 1]!;
      position--;
    }
    best[position] = similarity;
    index[position] = row;
    return this.filled[query] === k ? best[last]! : -Infinity;
  }
}

export async function searchTopK(engine: PairwiseEngine, request: TopKRequest): Promise<TopKMatches> {
  checkRequest(request);
  const { queryCount, dim, k } = request;
  const { tileRows, tileType } = engine.plan(dim, 'screened');
  const queries = unitRows(request.queries, queryCount, dim, 'query');
  const queryPanels = packPanels(queries.unit, queryCount, dim, tileRows, tileType);
  const bound = dotErrorBound(dim, tileType);
  const lists = new BestLists(queryCount, k);
  let galleryCount = 0;
  for await (const block of galleryBlocks(request.gallery, dim, tileRows)) {
    const gallery = unitRows(block.rows, block.count, dim, 'gallery', block.start);
    const galleryPanel = packPanel(gallery.unit, 0, block.count, dim, tileType);
    galleryCount += block.count;
    const rowsInBlock = block.count;
    for (const [p, panel] of queryPanels.entries()) {
      const tile = await engine.similarities(panel, galleryPanel);
      const stride = galleryPanel.rows;
      for (let r = 0; r < panel.count; r++) {
        const query = p * tileRows + r;
        let threshold = lists.filled[query] === k ? lists.best[query * k + k - 1]! - bound : -Infinity;
        const tileRow = r * stride;
        // The hot loop only compares; a candidate goes to a separate function.
        for (let c = 0; c < rowsInBlock; c++) {
          if (tile[tileRow + c]! < threshold) continue;
          threshold = lists.offer(query, block.start + c, unitDot(queries.unit, query, gallery.unit, c, dim)) - bound;
        }
      }
    }
  }
  const matches = Math.min(k, galleryCount);
  const indices = new Int32Array(queryCount * matches);
  const similarities = new Float64Array(queryCount * matches);
  for (let q = 0; q < queryCount; q++) {
    indices.set(lists.index.subarray(q * k, q * k + matches), q * matches);
    similarities.set(lists.best.subarray(q * k, q * k + matches), q * matches);
  }
  return { queryCount, k: matches, galleryCount, indices, similarities };
}
