import { basename } from 'node:path';
import type { ApiClient } from './apiClient.js';

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

/** Upload names allow letters, digits, dots, dashes and underscores only. */
function safeName(path: string): string {
  return (
    basename(path)
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^\.+/, '')
      .slice(0, 200) || 'file'
  );
}
