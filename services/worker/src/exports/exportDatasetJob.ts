import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { appendFile, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatasetManifest } from '../../../../src/core/datasets/datasetManifest.js';
import { writeExportStatus } from '../../../../src/core/datasets/exportLifecycle.js';
import {
  decodeExportOptions,
  ExportCrop,
  includesMember,
  type ExportOptions,
} from '../../../../src/core/datasets/exportOptions.js';
import type { DatasetExportId } from '../../../../src/core/ids/ids.js';
import type { JobName } from '../../../../src/core/queue/jobQueue.js';
import type { AlignmentSpec } from '../../../../src/core/packs/manifest.js';
import { decodeStoredManifest } from '../../../../src/core/packs/storedManifest.js';
import {
  contentKey,
  exportCheckpointKey,
  exportSpoolPartKey,
  exportWorkPrefix,
} from '../../../../src/core/store/keys.js';
import { ExportStatus } from '../../../../src/generated/prisma/enums.js';
import type { JobHandler, WorkerServices } from '../jobs/JobHandler.js';
import { alignedCrop } from './alignedCrop.js';
import { exportFormats, type ExportImage, type FormatState, type Spool } from './exportFormats.js';
import { TarWriter } from './tarWriter.js';

/** Progress is written about this many times per export, so large exports do not flood the database. */
const progressSteps = 100;

/** What an unfinished export has saved: its first `images` images are in spool parts 0..parts-1. */
interface ExportCheckpoint {
  images: number;
  parts: number;
  spoolBytes: number;
  format: FormatState;
}

/** The alignment of every run the manifest's images come from, by run id, for aligned crops. */
async function alignments(services: WorkerServices, manifest: DatasetManifest): Promise<Map<string, AlignmentSpec>> {
  const runIds = new Set<string>();
  for (const identity of manifest.identities) {
    runIds.add(identity.runId);
    for (const sample of identity.samples) runIds.add(sample.runId);
  }
  const runs = await services.prisma.run.findMany({
    where: { id: { in: [...runIds] } },
    select: { id: true, modelPack: { select: { manifest: true } } },
  });
  return new Map(runs.map((run) => [run.id, decodeStoredManifest(run.modelPack.manifest).alignment]));
}

/** The export's images in manifest order, from the `skip`-th on (those before are in the saved spool). */
async function* exportImages(
  services: WorkerServices,
  manifest: DatasetManifest,
  options: ExportOptions,
  crops: Map<string, AlignmentSpec> | null,
  skip: number,
): AsyncGenerator<ExportImage> {
  let position = 0;
  for (const identity of manifest.identities) {
    const members = [
      ...(includesMember(options.content, false)
        ? [{ sampleId: null, runId: identity.runId, variation: null, sha256: identity.sha256 }]
        : []),
      ...(includesMember(options.content, true)
        ? identity.samples.map((s) => ({ sampleId: s.id, runId: s.runId, variation: s.variation, sha256: s.sha256 }))
        : []),
    ];
    for (const member of members) {
      if (position++ < skip) continue;
      const stored = await services.store.getBytes(contentKey(member.sha256));
      const alignment = crops?.get(member.runId);
      const png = alignment ? alignedCrop(stored, alignment) : stored;
      yield { label: identity.label, identityId: identity.id, ...member, png };
    }
  }
}

/** An append-only spool file that counts its bytes; each write is on disk when it resolves. */
class FileSpool implements Spool {
  bytes: number;
  private readonly out: WriteStream;

  constructor(path: string, bytes: number) {
    this.bytes = bytes;
    this.out = createWriteStream(path, { flags: 'a' });
  }

  write(bytes: Uint8Array): Promise<void> {
    this.bytes += bytes.byteLength;
    return new Promise((resolveWrite, reject) =>
      this.out.write(bytes, (error) => (error ? reject(error) : resolveWrite())),
    );
  }

  close(): Promise<void> {
    return new Promise((resolveClose) => this.out.end(resolveClose));
  }
}

/** Bytes [from, to) of a file. */
async function readRange(path: string, from: number, to: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const bytes = Buffer.alloc(to - from);
    await file.read(bytes, 0, bytes.length, from);
    return bytes;
  } finally {
    await file.close();
  }
}

async function savedCheckpoint(services: WorkerServices, exportId: string): Promise<ExportCheckpoint | undefined> {
  const key = exportCheckpointKey(exportId);
  if (!(await services.store.exists(key))) return undefined;
  return JSON.parse((await services.store.getBytes(key)).toString('utf8')) as ExportCheckpoint;
}

async function removeWork(services: WorkerServices, exportId: string): Promise<void> {
  for (const key of await services.store.listKeys(exportWorkPrefix(exportId))) await services.store.remove(key);
}

/**
 * Writes one export of a dataset: the images in the format's layout, `manifest.json` (the
 * dataset's canonical manifest, whose sha256 is the dataset digest) and `digest.txt`, in one tar
 * stored under its own sha256. Every `exportCheckpointImages` images (at a point where the format
 * holds nothing back) the bytes written since the last checkpoint go to the object store as a
 * spool part, then a checkpoint naming them: a retried job, on any worker, fetches the parts and
 * carries on from there, and since the spool is a function of the images in order, the tar is
 * byte-identical to an uninterrupted export's.
 */
export const exportDatasetJob: JobHandler<typeof JobName.datasetExport> = async (job, services, signal) => {
  const exportId = job.data.exportId;
  const row = await services.prisma.datasetExport.findUnique({ where: { id: exportId }, include: { dataset: true } });
  if (!row || row.status === ExportStatus.SUCCEEDED || row.status === ExportStatus.FAILED) return 'completed';
  // Checked before the export counts as running: a corrupt row fails the job with the field it names.
  const options = decodeExportOptions(row.options);
  const checkpoint = await savedCheckpoint(services, exportId);
  await writeExportStatus(services.prisma, exportId, ExportStatus.RUNNING, {
    startedAt: row.startedAt ?? new Date(),
    done: checkpoint?.images ?? 0,
  });
  const manifestBytes = await services.store.getBytes(row.dataset.manifestKey);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as DatasetManifest;
  const crops = options.crop === ExportCrop.aligned ? await alignments(services, manifest) : null;
  const packAlignment = crops ? [...crops.values()][0] : undefined;
  const scratch = await mkdtemp(join(tmpdir(), 'brownian-export-'));
  try {
    const spoolPath = join(scratch, 'spool');
    await appendFile(spoolPath, Buffer.alloc(0));
    for (let part = 0; part < (checkpoint?.parts ?? 0); part++)
      await appendFile(spoolPath, await services.store.getBytes(exportSpoolPartKey(exportId, part)));
    const spool = new FileSpool(spoolPath, checkpoint?.spoolBytes ?? 0);
    const imageSize: [number, number] = packAlignment
      ? [packAlignment.outputSize.height, packAlignment.outputSize.width]
      : await fullSize(services, manifest);
    const target = { scratch, classes: manifest.identities.length, imageSize, shardSize: options.shardSize };
    const writer = exportFormats[row.format](spool, target, checkpoint?.format);
    let done = checkpoint?.images ?? 0;
    let saved = { images: done, parts: checkpoint?.parts ?? 0, spoolBytes: spool.bytes };
    if (checkpoint) services.log.info({ exportId, images: done }, 'export resumed from its checkpoint');
    const every = Math.max(1, Math.ceil(row.total / progressSteps));
    const interval = services.config.exportCheckpointImages;
    for await (const image of exportImages(services, manifest, options, crops, done)) {
      if (signal.aborted) {
        await spool.close();
        await writeExportStatus(services.prisma, exportId, ExportStatus.QUEUED);
        return 'released';
      }
      await writer.add(image);
      done++;
      if (done - saved.images >= interval && writer.atBoundary() && done < row.total) {
        await services.store.putBytes(
          exportSpoolPartKey(exportId, saved.parts),
          await readRange(spoolPath, saved.spoolBytes, spool.bytes),
        );
        saved = { images: done, parts: saved.parts + 1, spoolBytes: spool.bytes };
        const next: ExportCheckpoint = { ...saved, format: writer.state() };
        await services.store.putBytes(
          exportCheckpointKey(exportId),
          Buffer.from(JSON.stringify(next)),
          'application/json',
        );
      }
      if (done % every === 0 && done < row.total)
        await writeExportStatus(services.prisma, exportId, ExportStatus.RUNNING, { done });
    }
    await writer.end();
    await spool.close();
    const tarPath = join(scratch, 'export.tar');
    const tar = new TarWriter(createWriteStream(tarPath));
    await writer.finish(spoolPath, tar);
    await tar.add('manifest.json', manifestBytes);
    await tar.add('digest.txt', Buffer.from(`${row.dataset.digest}\n`));
    await tar.finish();
    const blob = await services.store.putContentStream(createReadStream(tarPath), 'application/x-tar');
    // Saved work goes first: a worker dying between the two starts again and writes the same tar.
    await removeWork(services, exportId);
    await writeExportStatus(services.prisma, exportId, ExportStatus.SUCCEEDED, {
      done,
      objectKey: blob.key,
      sha256: blob.sha256,
      size: BigInt(blob.size),
    });
    services.log.info({ exportId, images: done, bytes: blob.size }, 'export written');
    return 'completed';
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
};

/** An export whose job has no retries left: FAILED, and what it had saved removed. */
export async function failAbandonedExport(services: WorkerServices, exportId: DatasetExportId, error: string) {
  await writeExportStatus(services.prisma, exportId, ExportStatus.FAILED, { error });
  await removeWork(services, exportId);
}

/** Generator image size of the dataset's first run, for the `property` file of full-image exports. */
async function fullSize(services: WorkerServices, manifest: DatasetManifest): Promise<[number, number]> {
  const runId = manifest.identities[0]?.runId;
  const run = runId
    ? await services.prisma.run.findUnique({
        where: { id: runId },
        select: { modelPack: { select: { manifest: true } } },
      })
    : null;
  const generator = run ? decodeStoredManifest(run.modelPack.manifest).generator : undefined;
  return generator ? [generator.height, generator.width] : [0, 0];
}
