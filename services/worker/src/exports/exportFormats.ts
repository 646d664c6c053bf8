import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { ExportFormat } from '../../../../src/generated/prisma/enums.js';
import { encodeRecord, irHeader, recordMagic } from './recordIo.js';
import { tarBytes, tarEntry, type TarWriter } from './tarWriter.js';

/** One image of an export, in manifest order: an identity's reference image, or one of its samples. */
export interface ExportImage {
  label: number;
  identityId: string;
  /** Null for the identity's reference image. */
  sampleId: string | null;
  runId: string;
  variation: number | null;
  /** sha256 of the stored image (before any crop). */
  sha256: string;
  png: Uint8Array;
}

export interface ExportTarget {
  /** A scratch folder for files too large for memory. */
  scratch: string;
  classes: number;
  /** [height, width] of the exported images. */
  imageSize: [number, number];
  shardSize: number;
}

/**
 * Where a format writes as it goes: an append-only file, saved to the object store in parts at
 * checkpoints, so that a retried export starts from the saved bytes instead of from nothing.
 */
export interface Spool {
  write(bytes: Uint8Array): Promise<void>;
}

/** What a format needs to carry on after a checkpoint, as JSON. */
export type FormatState = Record<string, number | number[][]>;

/**
 * A format's writer: images go in one at a time, in manifest order, and their bytes to the spool;
 * `state` at a checkpoint, given back to a new writer, continues exactly where this one was, so a
 * resumed export has the same bytes as an uninterrupted one.
 */
export interface FormatWriter {
  add(image: ExportImage): Promise<void>;
  /** Whether every image added is in the spool, so a checkpoint now holds all of them. */
  atBoundary(): boolean;
  state(): FormatState;
  /** After the last image: writes what is still held to the spool. */
  end(): Promise<void>;
  /** Writes the export's members into the tar from the complete spool file. */
  finish(spoolPath: string, tar: TarWriter): Promise<void>;
}

const pad = (value: number, width: number) => value.toString().padStart(width, '0');

function memberName(image: ExportImage): string {
  return image.sampleId === null ? 'identity.png' : `${image.runId}-${pad(image.variation ?? 0, 5)}.png`;
}

function describe(image: ExportImage): object {
  return {
    label: image.label,
    identityId: image.identityId,
    sampleId: image.sampleId,
    runId: image.runId,
    variation: image.variation,
    sha256: image.sha256,
  };
}

/** torchvision's ImageFolder: one folder per class under train/, named by the zero-padded label. The spool is tar members. */
function imageFolder(spool: Spool): FormatWriter {
  return {
    add: (image) => spool.write(tarEntry(`train/${pad(image.label, 6)}/${memberName(image)}`, image.png)),
    atBoundary: () => true,
    state: () => ({}),
    end: async () => undefined,
    finish: (spoolPath, tar) => tar.addEntries(spoolPath),
  };
}

/** WebDataset: tar shards of <key>.png, <key>.cls (the label as text) and <key>.json, shardSize images each. */
function webDataset(spool: Spool, target: ExportTarget, saved?: FormatState): FormatWriter {
  let shard: Array<{ name: string; bytes: Uint8Array }> = [];
  let shardIndex = (saved?.shardIndex as number | undefined) ?? 0;
  let position = (saved?.position as number | undefined) ?? 0;
  const flush = async () => {
    if (shard.length === 0) return;
    await spool.write(tarEntry(`shards/shard-${pad(shardIndex++, 6)}.tar`, tarBytes(shard)));
    shard = [];
  };
  return {
    async add(image) {
      const key = `${pad(position++, 9)}`;
      shard.push(
        { name: `${key}.png`, bytes: image.png },
        { name: `${key}.cls`, bytes: Buffer.from(`${image.label}`) },
        { name: `${key}.json`, bytes: Buffer.from(JSON.stringify(describe(image))) },
      );
      if (shard.length / 3 >= target.shardSize) await flush();
    },
    atBoundary: () => shard.length === 0,
    state: () => ({ shardIndex, position }),
    end: flush,
    finish: (spoolPath, tar) => tar.addEntries(spoolPath),
  };
}

/** Offsets of the records of a RecordIO file (a record split at embedded magics counts once, at its first part). */
async function recordOffsets(path: string): Promise<number[]> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const word = Buffer.alloc(8);
    const offsets: number[] = [];
    for (let at = 0; at < size;) {
      await file.read(word, 0, 8, at);
      if (word.readUInt32LE(0) !== recordMagic) throw new Error(`spool is damaged at byte ${at}`);
      const lrecord = word.readUInt32LE(4);
      const flag = lrecord >>> 29;
      const length = lrecord & ((1 << 29) - 1);
      if (flag === 0 || flag === 1) offsets.push(at);
      at += 8 + Math.ceil(length / 4) * 4;
    }
    return offsets;
  } finally {
    await file.close();
  }
}

/**
 * insightface's layout: record 0 is a header whose labels are [N + 1, N + 1 + C]; records 1..N the
 * images (label = class, id = record index); records N + 1.. one per class with labels [first, end)
 * of its images. `property` is "C,H,W". Images of one class are contiguous, as the manifest orders
 * them. The spool holds the image records; record 0, which needs the count, is written at the end.
 */
function insightfaceRec(spool: Spool, target: ExportTarget, saved?: FormatState): FormatWriter {
  let count = (saved?.count as number | undefined) ?? 0;
  const ranges = new Map<number, [number, number]>(
    ((saved?.ranges as number[][] | undefined) ?? []).map(([label, first, end]) => [label!, [first!, end!]]),
  );
  return {
    async add(image) {
      count++;
      await spool.write(encodeRecord(Buffer.concat([irHeader(image.label, count), Buffer.from(image.png)])));
      const range = ranges.get(image.label);
      ranges.set(image.label, range ? [range[0], count + 1] : [count, count + 1]);
    },
    atBoundary: () => true,
    state: () => ({ count, ranges: [...ranges].map(([label, [first, end]]) => [label, first, end]) }),
    end: async () => undefined,
    async finish(spoolPath, tar) {
      const recPath = join(target.scratch, 'train.rec');
      const rec = createWriteStream(recPath);
      const index: string[] = [];
      let offset = 0;
      const write = async (idx: number, payload: Buffer) => {
        const bytes = encodeRecord(payload);
        index.push(`${idx}\t${offset}\n`);
        offset += bytes.length;
        if (!rec.write(bytes)) await once(rec, 'drain');
      };
      const classes = [...ranges.keys()].sort((a, b) => a - b);
      await write(0, irHeader([count + 1, count + 1 + classes.length], 0));
      const shift = offset;
      for (const [k, at] of (await recordOffsets(spoolPath)).entries()) index.push(`${k + 1}\t${at + shift}\n`);
      for await (const chunk of createReadStream(spoolPath)) {
        offset += (chunk as Buffer).length;
        if (!rec.write(chunk)) await once(rec, 'drain');
      }
      for (const [k, label] of classes.entries()) {
        const [first, end] = ranges.get(label)!;
        await write(count + 1 + k, irHeader([first, end], count + 1 + k));
      }
      rec.end();
      await once(rec, 'finish');
      await tar.addFile('train.rec', recPath, (await stat(recPath)).size);
      await tar.add('train.idx', Buffer.from(index.join('')));
      await tar.add('property', Buffer.from(`${target.classes},${target.imageSize[0]},${target.imageSize[1]}\n`));
    },
  };
}

/** Each format's writer; the caller adds the manifest and the digest after its members. */
export const exportFormats: Record<
  ExportFormat,
  (spool: Spool, target: ExportTarget, saved?: FormatState) => FormatWriter
> = {
  [ExportFormat.IMAGE_FOLDER]: imageFolder,
  [ExportFormat.WEBDATASET]: webDataset,
  [ExportFormat.INSIGHTFACE_REC]: insightfaceRec,
};
