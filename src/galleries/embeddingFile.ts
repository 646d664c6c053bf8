import type { Readable } from 'node:stream';

/** The shape of a gallery file, read from its header (.npy) or given (raw), checked against its size. */
export interface EmbeddingLayout {
  rows: number;
  dim: number;
  /** Bytes per value: 4 (float32) or 8 (float64, .npy only). */
  width: 4 | 8;
  /** Where the values start: after the .npy header, or 0. */
  dataStart: number;
}

/** Rows `first`.. of a file, row-major float32. */
export interface EmbeddingChunk {
  first: number;
  rows: number;
  values: Float32Array;
}

/** A file that is not a gallery, with the reason (reported on the embeddingsKey field). */
export class EmbeddingFileError extends Error {}

const npyMagic = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
/** A .npy header is at most this long (NumPy writes a few hundred bytes). */
const maxHeaderBytes = 65_536 + 12;
/** Rows handed on at once: bounded memory however large the file. */
export const chunkRows = 4096;

/**
 * Opens little-endian float32 rows, raw (N×dim, dim and count given) or as a NumPy `.npy` file of
 * a 2-D float32 or float64 array in C order (shape from its header; a given dim or count must
 * agree), as a stream: the layout is checked against the object's size before any row is read,
 * then rows come `chunkRows` at a time, each checked (finite, not all zeros), so a file of any
 * size passes through in bounded memory. The .npy header is a Python dict literal; only the three
 * keys NumPy writes are accepted.
 */
export async function openEmbeddingFile(
  source: Readable,
  size: number,
  dim: number | undefined,
  count: number | undefined,
): Promise<{ layout: EmbeddingLayout; chunks: AsyncGenerator<EmbeddingChunk> }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const close = async () => {
    await iterator.return?.();
    source.destroy();
  };
  let pending: Buffer = Buffer.alloc(0);
  let ended = false;
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      return false;
    }
    pending = pending.length === 0 ? next.value : Buffer.concat([pending, next.value]);
    return true;
  };
  let layout: EmbeddingLayout;
  try {
    while (pending.length < 10 && (await more()));
    const npy = pending.length >= 10 && pending.subarray(0, 6).equals(npyMagic);
    if (npy) {
      let parsed = parseNpyHeader(pending, size);
      while (parsed === 'more' && pending.length < maxHeaderBytes && (await more()))
        parsed = parseNpyHeader(pending, size);
      if (parsed === 'more') throw new EmbeddingFileError('.npy header is damaged');
      layout = parsed;
    } else layout = rawLayout(size, dim, count);
    if (dim !== undefined && layout.dim !== dim)
      throw new EmbeddingFileError(`file rows have ${layout.dim} values, not embeddingDim ${dim}`);
    if (count !== undefined && layout.rows !== count)
      throw new EmbeddingFileError(`file holds ${layout.rows} embeddings, not count ${count}`);
    if (layout.rows === 0) throw new EmbeddingFileError('file holds no embeddings');
  } catch (error) {
    await close();
    throw error;
  }
  pending = pending.subarray(layout.dataStart);
  const rowBytes = layout.dim * layout.width;
  async function* chunks(): AsyncGenerator<EmbeddingChunk> {
    try {
      for (let first = 0; first < layout.rows; first += chunkRows) {
        const rows = Math.min(chunkRows, layout.rows - first);
        while (pending.length < rows * rowBytes && (await more()));
        if (pending.length < rows * rowBytes) throw new EmbeddingFileError(`file ends inside row ${first}`);
        const values = new Float32Array(rows * layout.dim);
        const view = new DataView(pending.buffer, pending.byteOffset, rows * rowBytes);
        for (let i = 0; i < values.length; i++)
          values[i] = layout.width === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
        checkRows(values, layout.dim, first);
        pending = pending.subarray(rows * rowBytes);
        yield { first, rows, values };
      }
    } finally {
      await close();
    }
  }
  return { layout, chunks: chunks() };
}

function checkRows(values: Float32Array, dim: number, first: number): void {
  for (let r = 0; r < values.length / dim; r++) {
    let sum = 0;
    for (let d = 0; d < dim; d++) {
      const v = values[r * dim + d]!;
      if (!Number.isFinite(v)) throw new EmbeddingFileError(`row ${first + r} holds NaN or infinite values`);
      sum += v * v;
    }
    if (!(sum > 0)) throw new EmbeddingFileError(`row ${first + r} is all zeros: it has no direction to compare`);
  }
}

function rawLayout(size: number, dim: number | undefined, count: number | undefined): EmbeddingLayout {
  if (dim === undefined || count === undefined)
    throw new EmbeddingFileError('a raw float32 file needs embeddingDim and count (a .npy file carries its shape)');
  // A file of another shape can still be a whole number of rows (10×32 floats read as 5×64): the size must match exactly.
  const expected = count * dim * 4;
  if (size !== expected) {
    throw new EmbeddingFileError(
      `file has ${size} bytes; ${count} embeddings of dimension ${dim} need ${count} × ${dim} × 4 = ${expected} bytes`,
    );
  }
  return { rows: count, dim, width: 4, dataStart: 0 };
}

/** The layout a .npy header gives, or 'more' while the bytes so far do not hold all of it. */
function parseNpyHeader(bytes: Buffer, size: number): EmbeddingLayout | 'more' {
  const major = bytes[6]!;
  if (![1, 2, 3].includes(major)) throw new EmbeddingFileError('.npy header is damaged');
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) return 'more';
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  if (headerStart + headerLength > size || headerStart + headerLength > maxHeaderBytes)
    throw new EmbeddingFileError('.npy header is damaged');
  if (bytes.length < headerStart + headerLength) return 'more';
  const header = bytes.subarray(headerStart, headerStart + headerLength).toString('latin1');
  const descr = /'descr':\s*'([<>|=]?)([a-z])(\d+)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(\s*(\d+)\s*,\s*(\d+)\s*,?\s*\)/.exec(header);
  if (!descr || !fortran || !shape)
    throw new EmbeddingFileError('.npy must hold a 2-D array (N, dim) with descr and fortran_order');
  if (fortran[1] === 'True') throw new EmbeddingFileError('.npy array is in Fortran order; save it C-contiguous');
  const [, order, kind, width] = descr;
  if (kind !== 'f' || (width !== '4' && width !== '8') || order === '>')
    throw new EmbeddingFileError(`.npy dtype ${descr[0]} is not little-endian float32 or float64`);
  const rows = Number(shape[1]);
  const dim = Number(shape[2]);
  const dataStart = headerStart + headerLength;
  const valueBytes = Number(width) as 4 | 8;
  if (size - dataStart !== rows * dim * valueBytes)
    throw new EmbeddingFileError(`.npy data has ${size - dataStart} bytes, not ${rows}×${dim}×${valueBytes}`);
  return { rows, dim, width: valueBytes, dataStart };
}
