import type { Readable } from 'node:stream';

const block = 512;

/** A regular file of a tar archive, its bytes read whole (members are face images, not archives). */
export interface TarMember {
  path: string;
  bytes: Buffer;
}

/** An archive that cannot be read, with what is wrong and where. */
export class TarFormatError extends Error {}

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

function octal(header: Buffer, start: number, length: number, what: string): number {
  const text = field(header, start, length).trim();
  if (!/^[0-7]*$/.test(text)) throw new TarFormatError(`${what} is not an octal number`);
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < block; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
  return sum === octal(header, 148, 8, 'header checksum');
}

/** `path` of a pax extended header ("<length> path=<value>\n" records). */
function paxPath(bytes: Buffer): string | undefined {
  let at = 0;
  let path: string | undefined;
  while (at < bytes.length) {
    const space = bytes.indexOf(0x20, at);
    const length = Number(bytes.subarray(at, space).toString('ascii'));
    if (space < 0 || !Number.isInteger(length) || length <= 0) throw new TarFormatError('pax header is damaged');
    const record = bytes.subarray(space + 1, at + length - 1).toString('utf8');
    if (record.startsWith('path=')) path = record.slice(5);
    at += length;
  }
  return path;
}

/**
 * Reads a tar archive (POSIX ustar, pax and GNU long names) from a stream, one member at a time:
 * only the member being read is held in memory, so an archive of any size passes through. Yields
 * regular files in archive order; folders, links and other entries are skipped. A member larger
 * than `maxMemberBytes` or a damaged header is a TarFormatError naming it.
 */
export async function* readTar(source: Readable, maxMemberBytes: number): AsyncGenerator<TarMember> {
  const chunks: Buffer[] = [];
  let buffered = 0;
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let ended = false;
  /** Exactly `n` bytes of the archive, or null at its end. */
  const take = async (n: number): Promise<Buffer | null> => {
    while (buffered < n && !ended) {
      const next = await iterator.next();
      if (next.done) ended = true;
      else {
        chunks.push(next.value);
        buffered += next.value.length;
      }
    }
    if (buffered < n) return null;
    const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    chunks.length = 0;
    const out = all.subarray(0, n);
    if (all.length > n) chunks.push(all.subarray(n));
    buffered -= n;
    return Buffer.from(out);
  };
  let longName: string | undefined;
  try {
    for (;;) {
      const header = await take(block);
      if (!header) throw new TarFormatError('archive ends without its end-of-archive blocks');
      if (header.every((byte) => byte === 0)) return;
      if (!checksumOk(header)) throw new TarFormatError(`header after ${longName ?? 'the start'} has a bad checksum`);
      const type = String.fromCharCode(header[156]!);
      const size = octal(header, 124, 12, 'member size');
      const prefix = header.subarray(257, 263).toString('latin1').startsWith('ustar') ? field(header, 345, 155) : '';
      const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
      longName = undefined;
      const regular = type === '0' || type === '\0' || type === '7';
      const meta = type === 'L' || type === 'x';
      if ((regular || meta) && size > maxMemberBytes)
        throw new TarFormatError(`member ${name} has ${size} bytes, more than the ${maxMemberBytes} allowed`);
      const padded = Math.ceil(size / block) * block;
      if (regular || meta) {
        const body = await take(padded);
        if (!body) throw new TarFormatError(`member ${name} is cut short`);
        const bytes = body.subarray(0, size);
        if (type === 'L') longName = field(bytes, 0, bytes.length);
        else if (type === 'x') longName = paxPath(bytes);
        else yield { path: name, bytes };
      } else {
        for (let left = padded; left > 0; left -= Math.min(left, 1 << 20))
          if (!(await take(Math.min(left, 1 << 20)))) throw new TarFormatError(`member ${name} is cut short`);
      }
    }
  } finally {
    await iterator.return?.();
    source.destroy();
  }
}
