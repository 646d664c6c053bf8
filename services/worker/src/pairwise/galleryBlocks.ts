/**
 * A gallery read in blocks of whole rows, whatever the sizes of the chunks it arrives in (an
 * object-store stream, a file read piecewise, one array in memory): at most one block and one
 * chunk are held at a time.
 */

type Rows = Float32Array | Float64Array;

/** Rows of a gallery, row-major: one array, or chunks of whole rows in gallery order. */
export type GallerySource = Rows | Iterable<Rows> | AsyncIterable<Rows>;

export interface GalleryBlock {
  /** Gallery index of the block's first row. */
  start: number;
  count: number;
  /** count × dim values */
  rows: Rows;
}

function isRows(source: GallerySource): source is Rows {
  return source instanceof Float32Array || source instanceof Float64Array;
}

/** Blocks of `blockRows` rows (the last one shorter) in gallery order. */
export async function* galleryBlocks(
  source: GallerySource,
  dim: number,
  blockRows: number,
): AsyncGenerator<GalleryBlock> {
  if (isRows(source)) {
    if (source.length % dim !== 0)
      throw new RangeError(`gallery: ${source.length} values are not whole rows of ${dim}`);
    const count = source.length / dim;
    for (let start = 0; start < count; start += blockRows) {
      const end = Math.min(start + blockRows, count);
      yield { start, count: end - start, rows: source.subarray(start * dim, end * dim) };
    }
    return;
  }
  const block = new Float64Array(blockRows * dim);
  let filled = 0;
  let start = 0;
  let chunkIndex = 0;
  for await (const chunk of source) {
    if (!(chunk instanceof Float32Array || chunk instanceof Float64Array) || chunk.length % dim !== 0) {
      throw new RangeError(`gallery: chunk ${chunkIndex} is not a float array of whole rows of ${dim} values`);
    }
    chunkIndex++;
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(block.length - filled, chunk.length - offset);
      block.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === block.length) {
        yield { start, count: blockRows, rows: block };
        start += blockRows;
        filled = 0;
      }
    }
  }
  if (filled > 0) yield { start, count: filled / dim, rows: block.subarray(0, filled) };
}
