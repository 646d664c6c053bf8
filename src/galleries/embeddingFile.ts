import { bytesToFloat32 } from '../core/db/floats.js';

/** A gallery file decoded to rows, or the reason it cannot be. */
export type EmbeddingFile =
  { ok: true; rows: number; dim: number; values: Float32Array } | { ok: false; message: string };

const npyMagic = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/**
 * Reads little-endian float32 rows, raw (N×dim, dim given) or as a NumPy `.npy` file of a 2-D
 * float32 or float64 array in C order (dim read from the header; a given dim must agree). The
 * .npy header is a Python dict literal; only the three keys NumPy writes are accepted.
 */
export function decodeEmbeddingFile(
  bytes: Uint8Array,
  dim: number | undefined,
  count: number | undefined,
): EmbeddingFile {
  const values = isNpy(bytes) ? decodeNpy(bytes) : decodeRaw(bytes, dim, count);
  if (!values.ok) return values;
  if (dim !== undefined && values.dim !== dim)
    return { ok: false, message: `file rows have ${values.dim} values, not embeddingDim ${dim}` };
  if (count !== undefined && values.rows !== count)
    return { ok: false, message: `file holds ${values.rows} embeddings, not count ${count}` };
  if (values.rows === 0) return { ok: false, message: 'file holds no embeddings' };
  for (let r = 0; r < values.rows; r++) {
    let sum = 0;
    for (let d = 0; d < values.dim; d++) {
      const v = values.values[r * values.dim + d]!;
      if (!Number.isFinite(v)) return { ok: false, message: `row ${r} holds NaN or infinite values` };
      sum += v * v;
    }
    if (!(sum > 0)) return { ok: false, message: `row ${r} is all zeros: it has no direction to compare` };
  }
  return values;
}

function isNpy(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 10 && Buffer.from(bytes.buffer, bytes.byteOffset, 6).equals(npyMagic);
}

function decodeRaw(bytes: Uint8Array, dim: number | undefined, count: number | undefined): EmbeddingFile {
  if (dim === undefined || count === undefined)
    return { ok: false, message: 'a raw float32 file needs embeddingDim and count (a .npy file carries its shape)' };
  // A file of another shape can still be a whole number of rows (10×32 floats read as 5×64): the size must match exactly.
  const expected = count * dim * 4;
  if (bytes.byteLength !== expected) {
    return {
      ok: false,
      message: `file has ${bytes.byteLength} bytes; ${count} embeddings of dimension ${dim} need ${count} × ${dim} × 4 = ${expected} bytes`,
    };
  }
  return { ok: true, rows: count, dim, values: bytesToFloat32(bytes) };
}

function decodeNpy(bytes: Uint8Array): EmbeddingFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  if (![1, 2, 3].includes(major) || headerStart + headerLength > bytes.byteLength)
    return { ok: false, message: '.npy header is damaged' };
  const header = Buffer.from(bytes.buffer, bytes.byteOffset + headerStart, headerLength).toString('latin1');
  const descr = /'descr':\s*'([<>|=]?)([a-z])(\d+)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(\s*(\d+)\s*,\s*(\d+)\s*,?\s*\)/.exec(header);
  if (!descr || !fortran || !shape)
    return { ok: false, message: '.npy must hold a 2-D array (N, dim) with descr and fortran_order' };
  if (fortran[1] === 'True') return { ok: false, message: '.npy array is in Fortran order; save it C-contiguous' };
  const [, order, kind, width] = descr;
  if (kind !== 'f' || (width !== '4' && width !== '8') || order === '>') {
    return { ok: false, message: `.npy dtype ${descr[0]} is not little-endian float32 or float64` };
  }
  const rows = Number(shape[1]);
  const dim = Number(shape[2]);
  const dataStart = headerStart + headerLength;
  const size = Number(width);
  if (bytes.byteLength - dataStart !== rows * dim * size) {
    return { ok: false, message: `.npy data has ${bytes.byteLength - dataStart} bytes, not ${rows}×${dim}×${size}` };
  }
  const values = new Float32Array(rows * dim);
  const data = new DataView(bytes.buffer, bytes.byteOffset + dataStart, rows * dim * size);
  for (let i = 0; i < values.length; i++)
    values[i] = size === 4 ? data.getFloat32(i * 4, true) : data.getFloat64(i * 8, true);
  return { ok: true, rows, dim, values };
}

/** A labels file: one label per line (UTF-8, trailing newline optional, CRLF accepted). */
export function decodeLabelsFile(bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
