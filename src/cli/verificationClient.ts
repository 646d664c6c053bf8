import { ApiError, type ApiClient } from './apiClient.js';

export interface ObjectCheckRow {
  subjectId: string;
  object: string;
  location: string;
  matches: boolean;
  problem: string | null;
}

export interface VerificationState {
  id: string;
  subjectKind: string;
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  checked: number;
  mismatches: number;
  verified: boolean | null;
  error: string | null;
  results: ObjectCheckRow[];
}

const fields =
  'id subjectKind status checked mismatches verified error results { subjectId object location matches problem }';

export interface VerifyOptions {
  /** Dataset members to re-derive. */
  samples: number;
  /** Trajectory segments per run: null re-runs every segment of a run, and none of a dataset's runs. */
  segments: number | null;
}

/** Starts the verification that fits what `id` names: a sample or identity, a run, or a dataset. */
export async function requestVerification(
  client: ApiClient,
  id: string,
  options: VerifyOptions,
): Promise<VerificationState> {
  const found = await client.request<{ node: { __typename: string } | null }>(
    'query($id: ID!) { node(id: $id) { __typename } }',
    { id },
  );
  const kind = found.node?.__typename;
  if (kind === 'Sample' || kind === 'Identity') {
    const data = await client.request<{ verifySample: VerificationState }>(
      `mutation($id: ID!) { verifySample(id: $id) { ${fields} } }`,
      { id },
    );
    return data.verifySample;
  }
  if (kind === 'Run') {
    const data = await client.request<{ verifyRun: VerificationState }>(
      `mutation($id: ID!, $segments: Int) { verifyRun(id: $id, segments: $segments) { ${fields} } }`,
      { id, segments: options.segments },
    );
    return data.verifyRun;
  }
  if (kind === 'Dataset') {
    const data = await client.request<{ verifyDataset: VerificationState }>(
      `mutation($id: ID!, $n: Int!, $segments: Int!) { verifyDataset(id: $id, sampleCount: $n, segments: $segments) { ${fields} } }`,
      { id, n: options.samples, segments: options.segments ?? 0 },
    );
    return data.verifyDataset;
  }
  throw new ApiError(`${id} is not a sample, identity, run or dataset`, 'NOT_FOUND');
}

/** Polls the verification until it ends; a FAILED one (it could not run) is an error with its reason. */
export async function waitForVerification(
  client: ApiClient,
  verificationId: string,
  onProgress: (state: VerificationState) => void,
  pollMs = 500,
): Promise<VerificationState> {
  for (;;) {
    const data = await client.request<{ verification: VerificationState | null }>(
      `query($id: ID!) { verification(id: $id) { ${fields} } }`,
      { id: verificationId },
    );
    if (!data.verification) throw new ApiError(`no verification ${verificationId}`, 'NOT_FOUND');
    onProgress(data.verification);
    if (data.verification.status === 'SUCCEEDED') return data.verification;
    if (data.verification.status === 'FAILED') {
      throw new ApiError(
        `verification ${verificationId} failed: ${data.verification.error ?? 'no reason given'}`,
        'VERIFICATION_FAILED',
      );
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, pollMs));
  }
}
