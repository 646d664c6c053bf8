import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError, reach, type ApiClient } from './apiClient.js';

interface Url {
  url: string;
}

interface Item {
  index: number;
  imageSha256: string;
  imageUrl: Url;
}

interface RunPage {
  run: {
    kind: string;
    status: string;
    latentsUrl: Url | null;
    embeddingsUrl: Url | null;
    items: {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: Array<{ node: Item }>;
    };
  } | null;
}

export interface DownloadedRun {
  directory: string;
  images: number;
}

const pageSize = 200;

async function fetchBytes(url: string): Promise<Buffer> {
  const response = await reach(url);
  if (!response.ok)
    throw new ApiError(`download from ${new URL(url).origin} failed: HTTP ${response.status}`, 'DOWNLOAD_FAILED');
  return Buffer.from(await response.arrayBuffer());
}

/**
 * A finished Langevin run's identities on disk, through presigned URLs: `latents.f32` and
 * `embeddings.f32` (float32 rows in index order) and one PNG per identity, checked against its sha256.
 */
export async function downloadRun(client: ApiClient, runId: string, outDir: string): Promise<DownloadedRun> {
  const directory = join(outDir, runId);
  await mkdir(join(directory, 'images'), { recursive: true });
  let after: string | null = null;
  let images = 0;
  for (let first = true; ; first = false) {
    const page: RunPage = await client.request<RunPage>(
      `query($id: ID!, $first: Int!, $after: String) { run(id: $id) { kind status latentsUrl { url } embeddingsUrl { url }
        items: identities(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
          edges { node { index imageSha256 imageUrl { url } } } } } }`,
      { id: runId, first: pageSize, after },
    );
    const run = page.run;
    if (!run) throw new ApiError(`run ${runId} does not exist`, 'NOT_FOUND');
    if (run.status !== 'SUCCEEDED')
      throw new ApiError(`run ${runId} is ${run.status}: only a succeeded run has files to download`, 'CONFLICT');
    if (first) {
      for (const [name, file] of [
        ['latents.f32', run.latentsUrl],
        ['embeddings.f32', run.embeddingsUrl],
      ] as const) {
        if (file) await writeFile(join(directory, name), await fetchBytes(file.url));
      }
    }
    for (const { node } of run.items.edges) {
      const bytes = await fetchBytes(node.imageUrl.url);
      if (createHash('sha256').update(bytes).digest('hex') !== node.imageSha256) {
        throw new ApiError(
          `image of identity ${node.index} does not match its sha256 ${node.imageSha256}`,
          'DOWNLOAD_CORRUPT',
        );
      }
      await writeFile(join(directory, 'images', `identity-${String(node.index).padStart(5, '0')}.png`), bytes);
      images++;
    }
    if (!run.items.pageInfo.hasNextPage) break;
    after = run.items.pageInfo.endCursor;
  }
  return { directory, images };
}
