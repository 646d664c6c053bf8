import type * as db from '../generated/prisma/client.js';
import { settleGallery } from '../core/galleries/galleryLifecycle.js';
import type { GalleryId, ModelPackId } from '../core/ids/ids.js';
import { packNotReady } from '../core/packs/packLifecycle.js';
import { JobName } from '../core/queue/jobQueue.js';
import { GalleryStatus } from '../generated/prisma/enums.js';
import { checkId, checkUploadKey } from '../graphql/args.js';
import { auditEntry, type GraphQLContext } from '../graphql/context.js';
import { badUserInput, type FieldProblem } from '../graphql/errors.js';
import type { GalleryInput } from '../graphql/inputs/GalleryInput.js';
import { recognizerDigestOf } from './recognizer.js';

/**
 * Registers a gallery from an uploaded tar of face images: checks the request, writes the gallery
 * PENDING with its audit-log entry and queues the worker job that embeds the faces with the pack's
 * alignment and recognizer (services/worker/src/galleries/). Follow it with `galleryStatus`.
 */
export async function createImageGallery(context: GraphQLContext, input: GalleryInput): Promise<db.Gallery> {
  const { prisma, queue } = context.services;
  const problems: FieldProblem[] = [];
  if (input.name.trim().length === 0) problems.push({ field: 'input.name', message: 'must not be empty' });
  checkUploadKey(input.imagesKey!, 'input.imagesKey', problems);
  if (input.labelsKey) checkUploadKey(input.labelsKey, 'input.labelsKey', problems);
  for (const field of ['embeddingsKey', 'embeddingDim', 'count', 'labels', 'recognizerDigest'] as const) {
    if (input[field] !== undefined && input[field] !== null)
      problems.push({
        field: `input.${field}`,
        message: 'not with imagesKey: the pack named by modelPackId embeds the images, labelled by folder or labelsKey',
      });
  }
  let pack: db.ModelPack | null = null;
  if (input.modelPackId === undefined || input.modelPackId === null) {
    problems.push({ field: 'input.modelPackId', message: 'images are embedded by a READY pack: name it' });
  } else {
    const packId = checkId<ModelPackId>(input.modelPackId, 'input.modelPackId', problems);
    pack = packId ? await prisma.modelPack.findUnique({ where: { id: packId } }) : null;
    const notReady = pack ? packNotReady(pack) : null;
    if (packId && !pack) problems.push({ field: 'input.modelPackId', message: `no model pack ${packId}` });
    if (notReady) problems.push({ field: 'input.modelPackId', message: notReady });
  }
  if (problems.length > 0 || !pack) throw badUserInput(problems);
  for (const [field, key] of [
    ['input.imagesKey', input.imagesKey!],
    ['input.labelsKey', input.labelsKey],
  ] as const) {
    if (key && !(await context.services.store.exists(key)))
      throw badUserInput([{ field, message: `no object ${key}` }]);
  }
  const gallery = await prisma.$transaction(async (tx) => {
    const row = await tx.gallery.create({
      data: {
        name: input.name.trim(),
        status: GalleryStatus.PENDING,
        embeddingDim: pack.embeddingDim,
        digest: '',
        recognizerDigest: recognizerDigestOf(pack.manifest)!,
        createdById: context.principal.keyId,
      },
    });
    await tx.auditLogEntry.create({
      data: auditEntry(context, 'createGallery', row.id, {
        name: row.name,
        fromImages: true,
        modelPackId: pack.id,
        recognizerDigest: row.recognizerDigest,
      }),
    });
    return row;
  });
  const galleryId = gallery.id as GalleryId;
  try {
    await queue.enqueue(
      JobName.galleryImages,
      {
        galleryId,
        modelPackId: pack.id as ModelPackId,
        imagesKey: input.imagesKey!,
        labelsKey: input.labelsKey ?? null,
      },
      galleryId,
    );
  } catch (error) {
    await settleGallery(prisma, galleryId, {
      status: GalleryStatus.FAILED,
      error: `could not be queued: ${(error as Error).message}`,
    });
    return prisma.gallery.findUniqueOrThrow({ where: { id: galleryId } });
  }
  return gallery;
}
