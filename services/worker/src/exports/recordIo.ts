/**
 * MXNet RecordIO, as insightface's arcface_torch reads `train.rec` / `train.idx` (dmlc-core
 * recordio.h/.cc; mxnet.recordio.pack): every record is the magic 0xced7230a, a little-endian word
 * of (continuation flag << 29 | length), the bytes, and zero padding to 4 bytes. A payload that holds
 * the magic at a 4-byte boundary is split there into parts flagged 1 (first), 2 (middle), 3 (last),
 * the magic itself left out, as dmlc's writer does; readers put it back.
 */
export const recordMagic = 0xced7230a;

/** Label with IRHeader: flag, float32 label, uint64 id, uint64 id2; a flag > 0 means that many float32 labels follow. */
export function irHeader(label: number | number[], id: number, id2 = 0): Buffer {
  const labels = Array.isArray(label) ? label : null;
  const header = Buffer.alloc(24 + (labels ? labels.length * 4 : 0));
  header.writeUInt32LE(labels ? labels.length : 0, 0);
  header.writeFloatLE(labels ? 0 : (label as number), 4);
  header.writeBigUInt64LE(BigInt(id), 8);
  header.writeBigUInt64LE(BigInt(id2), 16);
  labels?.forEach((value, k) => header.writeFloatLE(value, 24 + 4 * k));
  return header;
}

function lengthWord(flag: number, length: number): Buffer {
  const word = Buffer.alloc(8);
  word.writeUInt32LE(recordMagic, 0);
  word.writeUInt32LE(((flag << 29) | length) >>> 0, 4);
  return word;
}

/** One record's bytes as written to the .rec file. */
export function encodeRecord(payload: Uint8Array): Buffer {
  if (payload.byteLength >= 1 << 29)
    throw new RangeError(`record of ${payload.byteLength} bytes is too large for RecordIO`);
  const data = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i + 4 <= data.length; i += 4) {
    if (data.readUInt32LE(i) !== recordMagic) continue;
    parts.push(lengthWord(start === 0 ? 1 : 2, i - start), data.subarray(start, i));
    start = i + 4;
  }
  parts.push(lengthWord(start === 0 ? 0 : 3, data.length - start), data.subarray(start));
  parts.push(Buffer.alloc((4 - (data.length % 4)) % 4));
  return Buffer.concat(parts);
}
