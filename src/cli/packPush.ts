import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { manifestFileName, packFiles, parseManifest } from '../core/packs/manifest.js';
import type { ApiClient } from './apiClient.js';

export interface PushedPack {
  id: string;
  digest: string;
  name: string;
}

/** Uploads a pack folder through presigned URLs and registers it; registering the same pack again returns it. */
export async function pushPack(client: ApiClient, dir: string): Promise<PushedPack> {
  const manifest = parseManifest(await readFile(join(dir, manifestFileName), 'utf8'));
  const manifestKey = await client.upload(join(dir, manifestFileName), manifestFileName);
  const files = [];
  for (const { file } of packFiles(manifest)) {
    files.push({ file, key: await client.upload(join(dir, ...file.split('/')), basename(file)) });
  }
  const { registerModelPack } = await client.request<{ registerModelPack: PushedPack }>(
    'mutation($input: ModelPackInput!) { registerModelPack(input: $input) { id digest name } }',
    { input: { manifestKey, files } },
  );
  return registerModelPack;
}
