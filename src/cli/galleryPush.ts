import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ApiError, type ApiClient } from './apiClient.js';
import { isFolder, writeFaceArchive } from './faceArchive.js';

export interface GalleryPushOptions {
  name: string;
  /** A .npy file carries its shape; a raw float32 file needs both. */
  embeddingDim?: number;
  count?: number;
  /** UTF-8 file, one subject label per embedding row. */
  labelsFile?: string;
  modelPackId?: string;
  recognizerDigest?: string;
}

export interface PushedGallery {
  id: string;
  subjectCount: number;
  embeddingDim: number;
  recognizerDigest: string;
}

/** Uploads an embeddings file (and labels file) through presigned URLs and registers the gallery. */
export async function pushGallery(
  client: ApiClient,
  embeddingsFile: string,
  options: GalleryPushOptions,
): Promise<PushedGallery> {
  const embeddingsKey = await client.upload(embeddingsFile, safeName(embeddingsFile));
  const labelsKey = options.labelsFile
    ? await client.upload(options.labelsFile, safeName(options.labelsFile))
    : undefined;
  const { createGallery } = await client.request<{ createGallery: PushedGallery }>(
    'mutation($input: GalleryInput!) { createGallery(input: $input) { id subjectCount embeddingDim recognizerDigest } }',
    {
      input: {
        name: options.name,
        embeddingsKey,
        labelsKey,
        embeddingDim: options.embeddingDim,
        count: options.count,
        modelPackId: options.modelPackId,
        recognizerDigest: options.recognizerDigest,
      },
    },
  );
  return createGallery;
}

interface GalleryStatusUpdate {
  status: 'PENDING' | 'READY' | 'FAILED';
  error: string | null;
  subjectCount: number;
}

/**
 * Uploads face images (a folder, packed into a tar here, or a .tar) and a labels file, registers
 * the gallery with the pack whose recognizer embeds them, and waits for the worker to settle it.
 * A gallery the worker could not make is an ApiError with code GALLERY_FAILED and the reason.
 */
export async function pushImageGallery(
  client: ApiClient,
  images: string,
  options: Omit<GalleryPushOptions, 'embeddingDim' | 'count' | 'recognizerDigest'> & { modelPackId: string },
  onPending: (galleryId: string) => void = () => undefined,
): Promise<PushedGallery> {
  const scratch = await mkdtemp(join(tmpdir(), 'brownian-gallery-'));
  try {
    let archive = images;
    if (await isFolder(images)) {
      archive = join(scratch, 'faces.tar');
      await writeFaceArchive(images, archive);
    }
    const imagesKey = await client.upload(archive, 'faces.tar');
    const labelsKey = options.labelsFile
      ? await client.upload(options.labelsFile, safeName(options.labelsFile))
      : undefined;
    const { createGallery } = await client.request<{ createGallery: PushedGallery & GalleryStatusUpdate }>(
      'mutation($input: GalleryInput!) { createGallery(input: $input) { id subjectCount embeddingDim recognizerDigest status error } }',
      { input: { name: options.name, imagesKey, labelsKey, modelPackId: options.modelPackId } },
    );
    onPending(createGallery.id);
    let settled: GalleryStatusUpdate = createGallery;
    if (settled.status === 'PENDING') {
      await client.subscribe<{ galleryStatus: GalleryStatusUpdate }>(
        'subscription($id: ID!) { galleryStatus(id: $id) { status error subjectCount } }',
        { id: createGallery.id },
        ({ galleryStatus }) => {
          settled = galleryStatus;
          return galleryStatus.status !== 'PENDING';
        },
      );
    }
    if (settled.status !== 'READY')
      throw new ApiError(`gallery ${createGallery.id} failed: ${settled.error ?? 'no reason given'}`, 'GALLERY_FAILED');
    return { ...createGallery, subjectCount: settled.subjectCount };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Upload names allow letters, digits, dots, dashes and underscores only. */
function safeName(path: string): string {
  return (
    basename(path)
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^\.+/, '')
      .slice(0, 200) || 'file'
  );
}
