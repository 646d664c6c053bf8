import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { impostorReservoirRows, impostorSimilarities, ImpostorReservoir } from '../../src/core/audits/impostors.js';
import { chunkRows, EmbeddingFileError, openEmbeddingFile } from '../../src/galleries/embeddingFile.js';

/** A .npy file of float64 (rows × dim) written here from the format's description. */
function npy(values: Float64Array, rows: number, dim: number): Buffer {
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${rows}, ${dim}), }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const prefix = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(prefix);
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(values.buffer)]);
}

/** Streams `bytes` in pieces of `piece` bytes, counting how many have been pulled. */
function trickle(bytes: Buffer, piece: number) {
  const pulled = { bytes: 0 };
  const stream = Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += piece) {
        const part = bytes.subarray(at, at + piece);
        pulled.bytes += part.length;
        yield part;
      }
    })(),
    { highWaterMark: 1 },
  );
  return { stream, pulled };
}

describe('openEmbeddingFile', () => {
  it('reads a .npy file of several chunks from a stream cut anywhere, a chunk at a time, equal to the values', async () => {
    const rows = 2 * chunkRows + 17;
    const dim = 12;
    const values = Float64Array.from({ length: rows * dim }, (_, i) => Math.sin(i * 0.37) + 0.01);
    const bytes = npy(values, rows, dim);
    const { stream, pulled } = trickle(bytes, 4093);
    const file = await openEmbeddingFile(stream, bytes.length, undefined, undefined);
    expect(file.layout).toMatchObject({ rows, dim, width: 8 });
    const seen: number[] = [];
    for await (const chunk of file.chunks) {
      // Bounded memory: what has been pulled is this chunk and less than a piece beyond it.
      expect(pulled.bytes).toBeLessThanOrEqual(file.layout.dataStart + (chunk.first + chunk.rows) * dim * 8 + 2 * 4093);
      for (let i = 0; i < chunk.values.length; i++)
        expect(chunk.values[i]).toBe(Math.fround(values[chunk.first * dim + i]!));
      seen.push(chunk.rows);
    }
    expect(seen).toEqual([chunkRows, chunkRows, 17]);
  });

  it('checks the shape against the size before any row, and names a bad row found late', async () => {
    const dim = 4;
    const raw = new Float32Array((chunkRows + 10) * dim).fill(0.5);
    const bytes = Buffer.from(raw.buffer);
    await expect(openEmbeddingFile(Readable.from([bytes]), bytes.length, dim, chunkRows)).rejects.toThrow(
      /need 4096 × 4 × 4 = 65536 bytes/,
    );
    raw[(chunkRows + 3) * dim + 1] = Number.NaN;
    const file = await openEmbeddingFile(Readable.from([Buffer.from(raw.buffer)]), bytes.length, dim, chunkRows + 10);
    const chunks: number[] = [];
    await expect(
      (async () => {
        for await (const chunk of file.chunks) chunks.push(chunk.first);
      })(),
    ).rejects.toThrow(new EmbeddingFileError(`row ${chunkRows + 3} holds NaN or infinite values`));
    expect(chunks).toEqual([0]);
  });
});

describe('ImpostorReservoir', () => {
  it('keeps a gallery that fits whole, giving the distribution of every row; a larger one keeps a sample of fixed size', () => {
    const dim = 3;
    const rows = 300;
    const values = Float32Array.from({ length: rows * dim }, (_, i) => Math.cos(i * 1.3));
    const labels = Array.from({ length: rows }, (_, i) => `s${i % 50}`);
    const reservoir = new ImpostorReservoir(dim);
    for (let first = 0; first < rows; first += 64)
      reservoir.offer(values.subarray(first * dim, Math.min(rows, first + 64) * dim), labels.slice(first, first + 64));
    expect(reservoir.similarities('ab'.repeat(32))).toEqual(
      impostorSimilarities(values, rows, dim, labels, 'ab'.repeat(32)),
    );

    const small = new ImpostorReservoir(dim, 40);
    small.offer(values, labels);
    const sampled = small.similarities('cd'.repeat(32));
    expect(sampled.length).toBeGreaterThan(700);
    expect(sampled.length).toBeLessThanOrEqual((40 * 39) / 2);
    expect(impostorReservoirRows).toBe(8192);
  });
});
