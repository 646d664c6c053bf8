import { ApiError, type ApiClient } from './apiClient.js';

export type ProvenanceFormatName = 'PROV_JSON' | 'PROV_N';

export interface ProvenanceExportState {
  id: string;
  subjectKind: string;
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  statements: number;
  sha256: string | null;
  size: number | null;
  error: string | null;
  downloadUrl: string | null;
}

interface ExportRow extends Omit<ProvenanceExportState, 'downloadUrl'> {
  downloadUrl: { url: string } | null;
}

const fields = 'id subjectKind status statements sha256 size error downloadUrl { url }';

function state(row: ExportRow): ProvenanceExportState {
  return { ...row, downloadUrl: row.downloadUrl?.url ?? null };
}

export async function requestProvenance(
  client: ApiClient,
  id: string,
  format: ProvenanceFormatName,
): Promise<ProvenanceExportState> {
  const data = await client.request<{ requestProvenanceExport: ExportRow }>(
    `mutation($id: ID!, $f: ProvenanceFormat!) { requestProvenanceExport(id: $id, format: $f) { ${fields} } }`,
    { id, f: format },
  );
  return state(data.requestProvenanceExport);
}

/** Polls the export until it ends, reporting the statements written; a failed export is an error with its reason. */
export async function waitForProvenance(
  client: ApiClient,
  exportId: string,
  onProgress: (state: ProvenanceExportState) => void,
  pollMs = 500,
): Promise<ProvenanceExportState> {
  for (;;) {
    const data = await client.request<{ provenanceExport: ExportRow | null }>(
      `query($id: ID!) { provenanceExport(id: $id) { ${fields} } }`,
      { id: exportId },
    );
    if (!data.provenanceExport) throw new ApiError(`no provenance export ${exportId}`, 'NOT_FOUND');
    const current = state(data.provenanceExport);
    onProgress(current);
    if (current.status === 'SUCCEEDED') return current;
    if (current.status === 'FAILED') {
      throw new ApiError(
        `provenance export ${exportId} failed: ${current.error ?? 'no reason given'}`,
        'EXPORT_FAILED',
      );
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, pollMs));
  }
}
