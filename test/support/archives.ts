/** Readers for the export formats, written from their descriptions, independent of the writers. */

export interface TarMember {
  name: string;
  bytes: Buffer;
}

/** POSIX ustar: 512-byte headers (name, octal size at 124, prefix at 345), data padded to 512, two zero blocks at the end. */
export function readTar(archive: Buffer): TarMember[] {
  const members: TarMember[] = [];
  let at = 0;
  while (at + 512 <= archive.length) {
    const header = archive.subarray(at, at + 512);
    if (header.every((byte) => byte === 0)) break;
    const text = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    let checksum = 0;
    for (let k = 0; k < 512; k++) checksum += k >= 148 && k < 156 ? 32 : header[k]!;
    if (checksum !== parseInt(text(148, 8).trim(), 8)) throw new Error(`bad tar header checksum at ${at}`);
    const prefix = text(345, 155);
    const name = prefix ? `${prefix}/${text(0, 100)}` : text(0, 100);
    const size = parseInt(text(124, 12).trim(), 8);
    members.push({ name, bytes: archive.subarray(at + 512, at + 512 + size) });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return members;
}

export interface RecordIoRecord {
  offset: number;
  flag: number;
  label: number;
  labels: number[];
  id: bigint;
  id2: bigint;
  body: Buffer;
}

const magic = 0xced7230a;

/**
 * MXNet RecordIO: each part is the magic 0xced7230a, a word whose top 3 bits are the continuation
 * flag (0 whole, 1 first, 2 middle, 3 last) and low 29 bits the length, the bytes, padding to 4.
 * Parts of one record are joined with the magic between them. The payload starts with IRHeader
 * (uint32 flag, float32 label, uint64 id, uint64 id2); flag > 0 means flag float32 labels follow.
 */
export function readRecordIo(file: Buffer): RecordIoRecord[] {
  const records: RecordIoRecord[] = [];
  let at = 0;
  while (at < file.length) {
    const offset = at;
    const pieces: Buffer[] = [];
    for (;;) {
      if (file.readUInt32LE(at) !== magic) throw new Error(`no RecordIO magic at ${at}`);
      const word = file.readUInt32LE(at + 4);
      const flag = word >>> 29;
      const length = word & ((1 << 29) - 1);
      pieces.push(file.subarray(at + 8, at + 8 + length));
      at += 8 + Math.ceil(length / 4) * 4;
      if (flag === 0 || flag === 3) break;
      const separator = Buffer.alloc(4);
      separator.writeUInt32LE(magic, 0);
      pieces.push(separator);
    }
    const payload = Buffer.concat(pieces);
    const flag = payload.readUInt32LE(0);
    const labels = Array.from({ length: flag }, (_, k) => payload.readFloatLE(24 + 4 * k));
    records.push({
      offset,
      flag,
      label: payload.readFloatLE(4),
      labels,
      id: payload.readBigUInt64LE(8),
      id2: payload.readBigUInt64LE(16),
      body: payload.subarray(24 + 4 * flag),
    });
  }
  return records;
}
