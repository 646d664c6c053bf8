import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { ExportFormat } from '../../../../src/generated/prisma/enums.js';
import { encodeRecord, irHeader } from './recordIo.js';
import { tarBytes, type TarWriter } from './tarWriter.js';

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
  tar: TarWriter;
  /** A scratch folder for members too large for memory. */
  scratch: string;
  classes: number;
  /** [height, width] of the exported images. */
  imageSize: [number, number];
  shardSize: number;
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

/** torchvision's ImageFolder: one folder per class under train/, named by the zero-padded label. */
async function imageFolder(images: AsyncIterable<ExportImage>, target: ExportTarget): Promise<void> {
  for await (const image of images)
    await target.tar.add(`train/${pad(image.label, 6)}/${memberName(image)}`, image.png);
}

/** WebDataset: tar shards of <key>.png, <key>.cls (the label as text) and <key>.json, shardSize images each. */
async function webDataset(images: AsyncIterable<ExportImage>, target: ExportTarget): Promise<void> {
  let shard: Array<{ name: string; bytes: Uint8Array }> = [];
  let shardIndex = 0;
  let position = 0;
  const flush = async () => {
    if (shard.length === 0) return;
    await target.tar.add(`shards/shard-${pad(shardIndex++, 6)}.tar`, tarBytes(shard));
    shard = [];
  };
  for await (const image of images) {
    const key = `${pad(position++, 9)}`;
    shard.push(
      { name: `${key}.png`, bytes: image.png },
      { name: `${key}.cls`, bytes: Buffer.from(`${image.label}`) },
      { name: `${key}.json`, bytes: Buffer.from(JSON.stringify(describe(image))) },
    );
    if (shard.length / 3 >= target.shardSize) await flush();
  }
  await flush();
}

/**
 * insightface's layout: record 0 is a header whose labels are [N + 1, N + 1 + C]; records 1..N the
 * images (label = class, id = record index); records N + 1.. one per class with labels [first, end)
 * of its images. `property` is "C,H,W". Images of one class are contiguous, as the manifest orders them.
 */
async function insightfaceRec(images: AsyncIterable<ExportImage>, target: ExportTarget): Promise<void> {
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
  // Record 0 is written last into its slot: its labels need the count, so images go to a second file first.
  const ranges = new Map<number, [number, number]>();
  const bodyPath = join(target.scratch, 'images.rec');
  const body = createWriteStream(bodyPath);
  const bodyIndex: Array<[number, number]> = [];
  let bodyOffset = 0;
  let count = 0;
  for await (const image of images) {
    count++;
    const bytes = encodeRecord(Buffer.concat([irHeader(image.label, count), Buffer.from(image.png)]));
    bodyIndex.push([count, bodyOffset]);
    bodyOffset += bytes.length;
    if (!body.write(bytes)) await once(body, 'drain');
    const range = ranges.get(image.label);
    ranges.set(image.label, range ? [range[0], count + 1] : [count, count + 1]);
  }
  body.end();
  await once(body, 'finish');
  const classes = [...ranges.keys()].sort((a, b) => a - b);
  await write(0, irHeader([count + 1, count + 1 + classes.length], 0));
  const shift = offset;
  for (const [idx, at] of bodyIndex) index.push(`${idx}\t${at + shift}\n`);
  for await (const chunk of createReadStream(bodyPath)) {
    offset += (chunk as Buffer).length;
    if (!rec.write(chunk)) await once(rec, 'drain');
  }
  for (const [k, label] of classes.entries()) {
    const [first, end] = ranges.get(label)!;
    await write(count + 1 + k, irHeader([first, end], count + 1 + k));
  }
  rec.end();
  await once(rec, 'finish');
  await target.tar.addFile('train.rec', recPath, (await stat(recPath)).size);
  await target.tar.add('train.idx', Buffer.from(index.join('')));
  await target.tar.add('property', Buffer.from(`${target.classes},${target.imageSize[0]},${target.imageSize[1]}\n`));
}

/** Writes the images in a format's layout into the export's tar; the caller adds the manifest and the digest. */
export const exportFormats: Record<
  ExportFormat,
  (images: AsyncIterable<ExportImage>, target: ExportTarget) => Promise<void>
> = {
  [ExportFormat.IMAGE_FOLDER]: imageFolder,
  [ExportFormat.WEBDATASET]: webDataset,
  [ExportFormat.INSIGHTFACE_REC]: insightfaceRec,
};
