import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { decodeLabelsFile } from '../../../../src/core/galleries/labelsFile.js';
import { settleGallery } from '../../../../src/core/galleries/galleryLifecycle.js';
import type { JobName } from '../../../../src/core/queue/jobQueue.js';
import { galleryImageKey, galleryPrefix } from '../../../../src/core/store/keys.js';
import { GalleryStatus } from '../../../../src/generated/prisma/enums.js';
import type { JobHandler, WorkerServices } from '../jobs/JobHandler.js';
import { loadRegisteredPack } from '../jobs/runModel.js';
import { FaceEmbedder, FaceImageError, faceTensor } from './faceEmbedder.js';
import { faceMembers, GalleryArchiveError } from './faceMembers.js';
import { readTar, TarFormatError } from './tarReader.js';

/** Faces embedded per session run. */
const batchSize = 32;
/** No face image is this large; a bigger member is refused before it is read. */
const maxImageBytes = 32 * 1024 * 1024;
const maxLabelLength = 200;

class Interrupted extends Error {}

/** Errors in what the user uploaded: the gallery fails with the message, and retrying would not help. */
function isInputError(error: unknown): error is Error {
  return error instanceof FaceImageError || error instanceof TarFormatError || error instanceof GalleryArchiveError;
}

/**
 * Embeds the face images of a PENDING gallery: the uploaded tar is read as a stream, a batch of
 * faces at a time, each face kept in the object store for review and embedded by the pack's
 * alignment and recognizer; then the rows, labels and impostor distribution are written and the
 * gallery made READY in one transaction. Bad input (an unreadable archive or image, a face of the
 * wrong size, labels that do not fit) makes it FAILED with the reason; the uploads are removed
 * either way. A retried job starts again from the archive (its images overwrite the same keys).
 */
export const galleryImagesJob: JobHandler<typeof JobName.galleryImages> = async (job, services, signal) => {
  const { galleryId, modelPackId, imagesKey, labelsKey } = job.data;
  const { prisma, store, log } = services;
  const gallery = await prisma.gallery.findUnique({ where: { id: galleryId } });
  if (!gallery || gallery.status !== GalleryStatus.PENDING) {
    await removeUploads(services, imagesKey, labelsKey);
    return 'completed';
  }
  try {
    const pack = await prisma.modelPack.findUniqueOrThrow({ where: { id: modelPackId } });
    const loaded = await loadRegisteredPack(services, pack);
    const labels = labelsKey ? decodeLabelsFile(await store.getBytes(labelsKey)) : null;
    const embedder = await FaceEmbedder.open(loaded, services.config.device);
    const hash = createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const archive = (await store.getStream(imagesKey)).pipe(hashing);
    const dim = loaded.manifest.embeddingDim;
    const rows: string[] = [];
    const imageKeys: string[] = [];
    const embeddings: Float32Array[] = [];
    const plane =
      loaded.manifest.generator.channels * loaded.manifest.generator.height * loaded.manifest.generator.width;
    let batch = new Float32Array(batchSize * plane);
    let inBatch = 0;
    const flush = async () => {
      if (inBatch === 0) return;
      embeddings.push((await embedder.embed(batch.subarray(0, inBatch * plane), inBatch)).slice());
      batch = new Float32Array(batchSize * plane);
      inBatch = 0;
    };
    try {
      for await (const face of faceMembers(readTar(archive, maxImageBytes))) {
        if (signal.aborted) throw new Interrupted();
        const row = rows.length;
        const label = labels ? labels[row] : (face.folder ?? undefined);
        if (label === undefined)
          throw new GalleryArchiveError(
            labels
              ? `the labels file has ${labels.length} labels, fewer than the archive's images`
              : `${face.path} is not in a subject folder: put each subject's images in a folder named by its label, or give a labels file`,
          );
        if (label.trim().length === 0 || label.length > maxLabelLength)
          throw new GalleryArchiveError(
            `the label of ${face.path} is empty or longer than ${maxLabelLength} characters`,
          );
        batch.set(faceTensor(face.bytes, loaded, face.path), inBatch * plane);
        inBatch++;
        const key = galleryImageKey(galleryId, row);
        await store.putBytes(key, face.bytes, 'image/png');
        rows.push(label);
        imageKeys.push(key);
        if (inBatch === batchSize) await flush();
      }
      await flush();
    } finally {
      await embedder.release();
    }
    if (rows.length === 0) throw new GalleryArchiveError('the archive holds no PNG images');
    if (labels && labels.length !== rows.length)
      throw new GalleryArchiveError(`the labels file has ${labels.length} labels for ${rows.length} images`);
    const values = new Float32Array(rows.length * dim);
    let at = 0;
    for (const part of embeddings) {
      values.set(part, at);
      at += part.length;
    }
    const bad = firstBadRow(values, dim);
    if (bad !== undefined)
      throw new GalleryArchiveError(`the recognizer gave image ${bad} a NaN, infinite or zero embedding`);
    const settled = await settleGallery(prisma, galleryId, {
      status: GalleryStatus.READY,
      faces: { digest: hash.digest('hex'), dim, labels: rows, values, imageKeys },
    });
    if (!settled) await removeObjects(services, galleryId);
    log.info({ galleryId, images: rows.length, settled }, 'gallery images embedded');
  } catch (error) {
    if (error instanceof Interrupted || (signal.aborted && !isInputError(error))) return 'released';
    if (!isInputError(error)) throw error;
    await removeObjects(services, galleryId);
    await settleGallery(prisma, galleryId, { status: GalleryStatus.FAILED, error: error.message });
    log.warn({ galleryId, reason: error.message }, 'gallery failed');
  }
  await removeUploads(services, imagesKey, labelsKey);
  return 'completed';
};

function firstBadRow(values: Float32Array, dim: number): number | undefined {
  for (let r = 0; r < values.length / dim; r++) {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += values[r * dim + d]! ** 2;
    if (!(sum > 0) || !Number.isFinite(sum)) return r;
  }
  return undefined;
}

/** A failed gallery keeps no face images. */
async function removeObjects(services: WorkerServices, galleryId: string): Promise<void> {
  for (const key of await services.store.listKeys(galleryPrefix(galleryId))) await services.store.remove(key);
}

async function removeUploads(services: WorkerServices, imagesKey: string, labelsKey: string | null): Promise<void> {
  for (const key of [imagesKey, labelsKey]) if (key) await services.store.remove(key);
}
