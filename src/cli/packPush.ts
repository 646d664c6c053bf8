import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { manifestFileName, packFiles, parseManifest } from '../core/packs/manifest.js';
import { ApiError, type ApiClient } from './apiClient.js';

export interface PushedPack {
  id: string;
  digest: string;
  name: string;
}

interface PackStatusUpdate {
  status: 'PENDING' | 'READY' | 'REJECTED';
  error: string | null;
}

/**
 * Uploads a pack folder through presigned URLs, registers it and waits for a worker's dry run to
 * settle it; registering the same pack again returns it. A rejected pack is an ApiError with code
 * PACK_REJECTED and the manifest field at fault.
 */
export async function pushPack(client: ApiClient, dir: string): Promise<PushedPack> {
  const manifest = parseManifest(await readFile(join(dir, manifestFileName), 'utf8'));
  const manifestKey = await client.upload(join(dir, manifestFileName), manifestFileName);
  const files = [];
  for (const { file } of packFiles(manifest)) {
    files.push({ file, key: await client.upload(join(dir, ...file.split('/')), basename(file)) });
  }
  const { registerModelPack: pack } = await client.request<{ registerModelPack: PushedPack & PackStatusUpdate }>(
    'mutation($input: ModelPackInput!) { registerModelPack(input: $input) { id digest name status error } }',
    { input: { manifestKey, files } },
  );
  let settled: PackStatusUpdate = pack;
  if (settled.status === 'PENDING') {
    await client.subscribe<{ modelPackStatus: PackStatusUpdate }>(
      'subscription($id: ID!) { modelPackStatus(id: $id) { status error } }',
      { id: pack.id },
      ({ modelPackStatus }) => {
        settled = modelPackStatus;
        return modelPackStatus.status !== 'PENDING';
      },
    );
  }
  if (settled.status !== 'READY')
    throw new ApiError(
      `model pack ${pack.digest} was rejected: ${settled.error ?? 'no reason given'}`,
      'PACK_REJECTED',
    );
  return { id: pack.id, digest: pack.digest, name: pack.name };
}
