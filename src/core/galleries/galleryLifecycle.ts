import { float32ToBytes } from '../db/floats.js';
import type { PrismaClient } from '../db/client.js';
import { encodeImpostors, impostorSimilarities } from '../audits/impostors.js';
import { publishGalleryEvent } from '../events/galleryEvents.js';
import type { GalleryId } from '../ids/ids.js';
import { GalleryStatus } from '../../generated/prisma/enums.js';

const insertBatch = 2000;

/** What a worker made of a gallery's images: one row per face, in archive order. */
export interface EmbeddedFaces {
  /** sha256 of the uploaded archive. */
  digest: string;
  dim: number;
  labels: string[];
  /** rows × dim, row-major. */
  values: Float32Array;
  /** Where each face image is kept for review, by row. */
  imageKeys: string[];
}

/**
 * The one writer of a gallery's status after its creation: a PENDING gallery becomes READY with
 * its rows and impostor distribution, or FAILED with the reason, and the change is announced (for
 * galleryStatus subscribers) in the same transaction. False when the gallery is gone or no longer
 * PENDING (a retried job finding the work done, or a deleted gallery): nothing is written.
 */
export async function settleGallery(
  prisma: PrismaClient,
  galleryId: GalleryId,
  outcome: { status: 'READY'; faces: EmbeddedFaces } | { status: 'FAILED'; error: string },
): Promise<boolean> {
  const faces = outcome.status === GalleryStatus.READY ? outcome.faces : undefined;
  const rowsPerLabel = new Map<string, number>();
  for (const label of faces?.labels ?? []) rowsPerLabel.set(label, (rowsPerLabel.get(label) ?? 0) + 1);
  const impostors = faces
    ? encodeImpostors(impostorSimilarities(faces.values, faces.labels.length, faces.dim, faces.labels, faces.digest))
    : undefined;
  return prisma.$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM "Gallery" WHERE "id" = ${galleryId}::uuid FOR UPDATE`;
      const gallery = await tx.gallery.findUnique({ where: { id: galleryId } });
      if (!gallery || gallery.status !== GalleryStatus.PENDING) return false;
      if (faces) {
        for (let start = 0; start < faces.labels.length; start += insertBatch) {
          const end = Math.min(start + insertBatch, faces.labels.length);
          await tx.gallerySubject.createMany({
            data: faces.labels.slice(start, end).map((label, i) => ({
              galleryId,
              row: start + i,
              label,
              imageKey: faces.imageKeys[start + i]!,
              embedding: float32ToBytes(faces.values.subarray((start + i) * faces.dim, (start + i + 1) * faces.dim)),
            })),
          });
        }
      }
      await tx.gallery.update({
        where: { id: galleryId },
        data: faces
          ? {
              status: GalleryStatus.READY,
              digest: faces.digest,
              embeddingDim: faces.dim,
              maxRowsPerSubject: Math.max(...rowsPerLabel.values()),
              impostorSimilarities: impostors,
            }
          : { status: GalleryStatus.FAILED, error: outcome.status === 'FAILED' ? outcome.error : null },
      });
      await publishGalleryEvent(tx, {
        galleryId,
        status: outcome.status,
        error: outcome.status === 'FAILED' ? outcome.error : null,
        subjectCount: faces?.labels.length ?? 0,
      });
      return true;
    },
    { timeout: 600_000 },
  );
}
