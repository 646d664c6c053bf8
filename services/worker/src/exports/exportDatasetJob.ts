import { createWriteStream, createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatasetManifest } from '../../../../src/core/datasets/datasetManifest.js';
import { ExportCrop, includesMember, type ExportOptions } from '../../../../src/core/datasets/exportOptions.js';
import type { JobName } from '../../../../src/core/queue/jobQueue.js';
import type { AlignmentSpec, PackManifest } from '../../../../src/core/packs/manifest.js';
import { contentKey } from '../../../../src/core/store/keys.js';
import { ExportStatus } from '../../../../src/generated/prisma/enums.js';
import type { JobHandler, WorkerServices } from '../jobs/JobHandler.js';
import { alignedCrop } from './alignedCrop.js';
import { exportFormats, type ExportImage } from './exportFormats.js';
import { TarWriter } from './tarWriter.js';

/** Progress is written about this many times per export, so large exports do not flood the database. */
const progressSteps = 100;

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
  return new Map(runs.map((run) => [run.id, (run.modelPack.manifest as unknown as PackManifest).alignment]));
}

async function* exportImages(
  services: WorkerServices,
  manifest: DatasetManifest,
  options: ExportOptions,
  crops: Map<string, AlignmentSpec> | null,
  signal: AbortSignal,
  onImage: () => Promise<void>,
): AsyncGenerator<ExportImage> {
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
      if (signal.aborted) throw new ExportInterrupted();
      const stored = await services.store.getBytes(contentKey(member.sha256));
      const alignment = crops?.get(member.runId);
      const png = alignment ? alignedCrop(stored, alignment) : stored;
      yield { label: identity.label, identityId: identity.id, ...member, png };
      await onImage();
    }
  }
}

class ExportInterrupted extends Error {}

/**
 * Writes one export of a dataset: the images in the format's layout, `manifest.json` (the
 * dataset's canonical manifest, whose sha256 is the dataset digest) and `digest.txt`, in one tar
 * stored under its own sha256. A retried export starts again from the beginning.
 */
export const exportDatasetJob: JobHandler<typeof JobName.datasetExport> = async (job, services, signal) => {
  const row = await services.prisma.datasetExport.findUnique({
    where: { id: job.data.exportId },
    include: { dataset: true },
  });
  if (!row || row.status === ExportStatus.SUCCEEDED || row.status === ExportStatus.FAILED) return 'completed';
  await services.prisma.datasetExport.update({
    where: { id: row.id },
    data: { status: ExportStatus.RUNNING, startedAt: new Date(), done: 0 },
  });
  const options = row.options as unknown as ExportOptions;
  const manifestBytes = await services.store.getBytes(row.dataset.manifestKey);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as DatasetManifest;
  const crops = options.crop === ExportCrop.aligned ? await alignments(services, manifest) : null;
  const packAlignment = crops ? [...crops.values()][0] : undefined;
  const scratch = await mkdtemp(join(tmpdir(), 'brownian-export-'));
  try {
    const tarPath = join(scratch, 'export.tar');
    const tar = new TarWriter(createWriteStream(tarPath));
    let done = 0;
    const every = Math.max(1, Math.ceil(row.total / progressSteps));
    const onImage = async () => {
      done++;
      if (done % every === 0 || done === row.total)
        await services.prisma.datasetExport.update({ where: { id: row.id }, data: { done } });
    };
    const imageSize: [number, number] = packAlignment
      ? [packAlignment.outputSize.height, packAlignment.outputSize.width]
      : await fullSize(services, manifest);
    await exportFormats[row.format](exportImages(services, manifest, options, crops, signal, onImage), {
      tar,
      scratch,
      classes: manifest.identities.length,
      imageSize,
      shardSize: options.shardSize,
    });
    await tar.add('manifest.json', manifestBytes);
    await tar.add('digest.txt', Buffer.from(`${row.dataset.digest}\n`));
    await tar.finish();
    const blob = await services.store.putContentStream(createReadStream(tarPath), 'application/x-tar');
    await services.prisma.datasetExport.update({
      where: { id: row.id },
      data: {
        status: ExportStatus.SUCCEEDED,
        done,
        objectKey: blob.key,
        sha256: blob.sha256,
        size: BigInt(blob.size),
        finishedAt: new Date(),
      },
    });
    services.log.info({ exportId: row.id, images: done, bytes: blob.size }, 'export written');
    return 'completed';
  } catch (error) {
    if (!(error instanceof ExportInterrupted)) throw error;
    await services.prisma.datasetExport.update({ where: { id: row.id }, data: { status: ExportStatus.QUEUED } });
    return 'released';
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
};

/** Generator image size of the dataset's first run, for the `property` file of full-image exports. */
async function fullSize(services: WorkerServices, manifest: DatasetManifest): Promise<[number, number]> {
  const runId = manifest.identities[0]?.runId;
  const run = runId
    ? await services.prisma.run.findUnique({
        where: { id: runId },
        select: { modelPack: { select: { manifest: true } } },
      })
    : null;
  const generator = (run?.modelPack.manifest as unknown as PackManifest | undefined)?.generator;
  return generator ? [generator.height, generator.width] : [0, 0];
}
