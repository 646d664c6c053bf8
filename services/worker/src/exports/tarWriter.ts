import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';

const block = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/**
 * A POSIX ustar header. Every entry is a regular file with mode 0644, owner 0 and time 0, so the
 * same members give the same bytes (and the same sha256) on every run.
 */
export function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(block);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100)
      throw new RangeError(`tar member name too long: ${name}`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  header.write(base, 0, 100, 'utf8');
  header.write(octal(0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(0, 12), 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  header.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

function padding(size: number): Buffer {
  return Buffer.alloc((block - (size % block)) % block);
}

/** One member's bytes as they stand in an archive: header, contents, padding. */
export function tarEntry(name: string, bytes: Uint8Array): Buffer {
  return Buffer.concat([tarHeader(name, bytes.byteLength), Buffer.from(bytes), padding(bytes.byteLength)]);
}

/** Writes a tar archive member by member to a stream, honouring its back-pressure. */
export class TarWriter {
  constructor(private readonly out: Writable) {}

  async add(name: string, bytes: Uint8Array): Promise<void> {
    await this.write(tarHeader(name, bytes.byteLength));
    await this.write(bytes);
    await this.write(padding(bytes.byteLength));
  }

  /** A member streamed from a file of known size, for members too large to hold in memory. */
  async addFile(name: string, path: string, size: number): Promise<void> {
    await this.write(tarHeader(name, size));
    for await (const chunk of createReadStream(path)) await this.write(chunk as Buffer);
    await this.write(padding(size));
  }

  /** Members already in tar form (tarEntry's bytes, one after another), copied from a file as they are. */
  async addEntries(path: string): Promise<void> {
    for await (const chunk of createReadStream(path)) await this.write(chunk as Buffer);
  }

  /** Two zero blocks end the archive; then the stream is closed. */
  async finish(): Promise<void> {
    await this.write(Buffer.alloc(2 * block));
    this.out.end();
    await once(this.out, 'finish');
  }

  private async write(bytes: Uint8Array): Promise<void> {
    if (bytes.byteLength === 0) return;
    if (!this.out.write(bytes)) await once(this.out, 'drain');
  }
}

/** A whole tar archive in memory, for small ones such as WebDataset shards. */
export function tarBytes(members: Array<{ name: string; bytes: Uint8Array }>): Buffer {
  const parts: Buffer[] = [];
  for (const { name, bytes } of members)
    parts.push(tarHeader(name, bytes.byteLength), Buffer.from(bytes), padding(bytes.byteLength));
  parts.push(Buffer.alloc(2 * block));
  return Buffer.concat(parts);
}
