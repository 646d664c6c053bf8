import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../src/cli/apiClient.js';
import { pushPack, type PushedPack } from '../../src/cli/packPush.js';
import { buildMiniPack } from '../../services/worker/src/pack/builtin/index.js';

/** The built-in pack, built into a temporary folder and registered through the API like a user would. */
export async function registerMiniPack(url: string, operatorKey: string): Promise<PushedPack> {
  const dir = await mkdtemp(join(tmpdir(), 'brownian-mini-'));
  await buildMiniPack(dir);
  const client = new ApiClient(url, operatorKey);
  try {
    return await pushPack(client, dir);
  } finally {
    await client.close();
  }
}
