import type pg from 'pg';
import { bytesToFloat32 } from '../../../../src/core/db/floats.js';

/**
 * A gallery's embeddings in row order, `chunkRows` rows at a time, read by keyset from Postgres:
 * the top-k search holds one block, so a gallery of millions never sits in memory.
 */
export async function* galleryRows(
  pool: pg.Pool,
  galleryId: string,
  dim: number,
  chunkRows: number,
): AsyncGenerator<Float32Array> {
  let next = 0;
  for (;;) {
    const result = await pool.query<{ row: number; embedding: Buffer }>(
      'SELECT "row", "embedding" FROM "GallerySubject" WHERE "galleryId" = $1 AND "row" >= $2 ORDER BY "row" LIMIT $3',
      [galleryId, next, chunkRows],
    );
    if (result.rows.length === 0) return;
    const chunk = new Float32Array(result.rows.length * dim);
    result.rows.forEach((record, i) => {
      // Row numbers index the search's result: a gap would shift every later match.
      if (record.row !== next + i) throw new Error(`gallery ${galleryId} has no row ${next + i}`);
      const values = bytesToFloat32(record.embedding);
      if (values.length !== dim) throw new Error(`gallery row ${record.row} has ${values.length} values, not ${dim}`);
      chunk.set(values, i * dim);
    });
    yield chunk;
    next += result.rows.length;
  }
}
