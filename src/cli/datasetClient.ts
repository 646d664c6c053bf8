import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError, reach, type ApiClient } from './apiClient.js';

export interface DatasetSummary {
  id: string;
  name: string;
  digest: string;
  identityCount: number;
  sampleCount: number;
}

export interface ExportState {
  id: string;
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  done: number;
  total: number;
  sha256: string | null;
  size: number | null;
  error: string | null;
  downloadUrl: string | null;
}

const exportFields = 'id status done total sha256 size error downloadUrl';

export async function createDataset(client: ApiClient, name: string, runIds: string[]): Promise<DatasetSummary> {
  const data = await client.request<{ createDataset: DatasetSummary }>(
    'mutation($n: String!, $r: [ID!]!) { createDataset(name: $n, runIds: $r) { id name digest identityCount sampleCount } }',
    { n: name, r: runIds },
  );
  return data.createDataset;
}

export async function startExport(
  client: ApiClient,
  datasetId: string,
  format: string,
  options: Record<string, unknown>,
): Promise<ExportState> {
  const data = await client.request<{ exportDataset: ExportState }>(
    `mutation($d: ID!, $f: ExportFormat!, $o: ExportOptionsInput) { exportDataset(datasetId: $d, format: $f, options: ` +
      `$o) { ${exportFields} } }`,
    { d: datasetId, f: format, o: options },
  );
  return data.exportDataset;
}

export async function exportState(client: ApiClient, exportId: string): Promise<ExportState> {
  const data = await client.request<{ datasetExport: ExportState | null }>(
    `query($id: ID!) { datasetExport(id: $id) { ${exportFields} } }`,
    { id: exportId },
  );
  if (!data.datasetExport) throw new ApiError(`no export ${exportId}`, 'NOT_FOUND');
  return data.datasetExport;
}

/** Polls the export until it ends, reporting progress; a failed export becomes an error naming its reason. */
export async function waitForExport(
  client: ApiClient,
  exportId: string,
  onProgress: (state: ExportState) => void,
  pollMs = 500,
): Promise<ExportState> {
  for (;;) {
    const state = await exportState(client, exportId);
    onProgress(state);
    if (state.status === 'SUCCEEDED') return state;
    if (state.status === 'FAILED')
      throw new ApiError(`export ${exportId} failed: ${state.error ?? 'no reason given'}`, 'EXPORT_FAILED');
    await new Promise((resolveWait) => setTimeout(resolveWait, pollMs));
  }
}

/**
 * Streams the export's tar to `path`, checking its sha256 against the one the API recorded; a
 * partial or corrupted download never lands under the final name.
 */
export async function downloadExport(
  state: Pick<ExportState, 'id' | 'status' | 'sha256' | 'downloadUrl'>,
  path: string,
  onBytes: (bytes: number) => void,
): Promise<void> {
  if (!state.downloadUrl || !state.sha256)
    throw new ApiError(`export ${state.id} is ${state.status}, nothing to download yet`, 'NOT_READY');
  const response = await reach(state.downloadUrl);
  if (!response.ok || !response.body)
    throw new ApiError(`download of export ${state.id} answered HTTP ${response.status}`, 'DOWNLOAD_FAILED');
  const hash = createHash('sha256');
  const partial = `${path}.partial`;
  try {
    await pipeline(
      Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>),
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          onBytes(chunk.length);
          done(null, chunk);
        },
      }),
      createWriteStream(partial),
    );
    const digest = hash.digest('hex');
    if (digest !== state.sha256)
      throw new ApiError(`downloaded bytes have sha256 ${digest}, the export ${state.sha256}`, 'DIGEST_MISMATCH');
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
