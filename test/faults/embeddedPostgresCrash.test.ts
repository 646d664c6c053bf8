import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { postmasterOf, spawnPlatform, type PlatformProcess } from '../support/platformProcess.js';
import { waitFor } from '../support/workerProcess.js';

let dataDir: string;
let platform: PlatformProcess;
let url: string;
let adminKey: string;
let packId: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'brownian-pg-crash-'));
  await chmod(dataDir, 0o755);
  // Nothing configured: embedded PostgreSQL and S3, the API and a worker in one process, as `npm start`.
  platform = spawnPlatform(dataDir, {
    BROWNIAN_DEVICE: 'cpu',
    LOG_LEVEL: 'info',
    BROWNIAN_HEARTBEAT_SECONDS: '1',
    BROWNIAN_QUEUE_MAINTENANCE_SECONDS: '1',
    BROWNIAN_JOB_EXPIRE_SECONDS: '8',
    BROWNIAN_JOB_RETRY_DELAY_SECONDS: '0',
    BROWNIAN_JOB_RETRY_LIMIT: '20',
  });
  url = await platform.ready;
  adminKey = /Admin API key \(shown once, keep it\): (\S+)/.exec(platform.output())![1]!;
  packId = (await registerMiniPack(url, adminKey)).id;
}, 240_000);

afterAll(async () => {
  platform?.child.kill('SIGINT');
  await platform?.exited;
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const health = async () => {
  const response = await fetch(url.replace(/\/graphql$/, '/healthz')).catch(() => undefined);
  return response?.status;
};

async function startRun(): Promise<string> {
  const response = await graphql(
    url,
    adminKey,
    'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }',
    { input: { modelPackId: packId, numIdentities: 8, iterations: 30, seed: '91', batchSize: 8, checkpointEvery: 3 } },
  );
  expect(response.errors).toBeUndefined();
  return response.data!.startLangevinRun.id as string;
}

async function runOf(
  id: string,
): Promise<{ status: string; error: string | null; iteration: number; latents: string } | undefined> {
  const response = await graphql(
    url,
    adminKey,
    'query($id: ID!) { run(id: $id) { status error iteration identities(first: 50) { edges { node { latent } } } } }',
    { id },
  ).catch(() => undefined);
  const run = response?.data?.run as
    | {
        status: string;
        error: string | null;
        iteration: number;
        identities: { edges: Array<{ node: { latent: number[] } }> };
      }
    | undefined;
  return (
    run && {
      status: run.status,
      error: run.error,
      iteration: run.iteration,
      latents: JSON.stringify(run.identities.edges),
    }
  );
}

describe('the embedded PostgreSQL killed under `brownian start`', () => {
  it('is started again by the platform, which answers 503 meanwhile, and the run ends SUCCEEDED and bit-identical', async () => {
    const reference = await startRun();
    const expected = await waitFor(
      async () => {
        const run = await runOf(reference);
        return run?.status === 'SUCCEEDED' ? run : undefined;
      },
      300_000,
      'the reference run',
    );

    const interrupted = await startRun();
    await waitFor(async () => ((await runOf(interrupted))?.iteration ?? 0) >= 6, 300_000, 'iteration 6');
    const before = await postmasterOf(dataDir);
    process.kill(before.pid, 'SIGKILL');

    const refused = await waitFor(
      async () => {
        const response = await graphql(url, adminKey, '{ runs(first: 1) { totalCount } }').catch(() => undefined);
        return response?.status === 503 ? response : undefined;
      },
      30_000,
      'a 503 while PostgreSQL is down',
    ).catch(() => undefined);
    // The restart may be quick enough that no request fell in the outage; when one did, it was a clean 503.
    if (refused) expect(errorCode(refused)).toBe('SERVICE_UNAVAILABLE');

    await waitFor(
      async () => {
        const after = await postmasterOf(dataDir).catch(() => undefined);
        return after && after.pid !== before.pid && after.port === before.port ? after : undefined;
      },
      120_000,
      `PostgreSQL to be started again on port ${before.port}:\n${platform.output().slice(-3000)}`,
    );
    await waitFor(async () => (await health()) === 200, 120_000, '/healthz to recover');
    const finished = await waitFor(
      async () => {
        const run = await runOf(interrupted);
        return run?.status === 'SUCCEEDED' || run?.status === 'FAILED' ? run : undefined;
      },
      400_000,
      `the interrupted run to end:\n${platform.output().slice(-3000)}`,
    );
    expect(finished.status, `${finished.error}\n${platform.output().slice(-4000)}`).toBe('SUCCEEDED');
    expect(finished.latents).toBe(expected.latents);
    expect(platform.child.exitCode).toBeNull();
    expect(platform.output()).toContain('the embedded PostgreSQL stopped unexpectedly; starting it again');
  }, 900_000);
});
