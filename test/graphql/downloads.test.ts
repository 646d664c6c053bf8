import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role, RunStatus } from '../../src/generated/prisma/enums.js';
import { packageRoot } from '../../src/core/paths.js';
import { checkpointKey } from '../../src/core/store/keys.js';
import { errorCode, graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { waitFor } from '../support/workerProcess.js';

let t: TestPlatform;
let packId: string;
let runId: string;
const dirs: string[] = [];

const runRow = (id: string) => t.platform.database.prisma.run.findUniqueOrThrow({ where: { id } });

async function startRun(input: Record<string, unknown>): Promise<string> {
  const response = await graphql(
    t.url,
    t.keys[Role.OPERATOR],
    'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }',
    {
      input: { modelPackId: packId, numIdentities: 5, iterations: 2, seed: '11', batchSize: 4, ...input },
    },
  );
  expect(response.errors).toBeUndefined();
  return response.data!.startLangevinRun.id;
}

/** The CLI as a separate process; asynchronous, since the API it calls runs in this one. */
function brownian(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    execFile(process.execPath, [join(packageRoot, 'bin', 'brownian.js'), ...args], (error, stdout, stderr) => {
      resolveRun({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function bytesAt(url: string): Promise<Buffer> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

beforeAll(async () => {
  t = await startTestPlatform({ api: true, worker: true });
  packId = (await registerMiniPack(t.url, t.keys[Role.OPERATOR])).id;
  runId = await startRun({});
  await waitFor(async () => (await runRow(runId)).status === RunStatus.SUCCEEDED, 120_000, 'the run to succeed');
}, 240_000);
afterAll(async () => {
  await t?.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('downloads', () => {
  it('gives every key that may read a run presigned GET URLs of its images, latents and embeddings', async () => {
    const response = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      `
        query ($id: ID!) {
          run(id: $id) {
            latentsUrl(expiresIn: 600) {
              url
              expiresAt
            }
            embeddingsUrl {
              url
            }
            identities {
              edges {
                node {
                  index
                  imageSha256
                  imageUrl {
                    url
                    expiresAt
                  }
                }
              }
            }
          }
        }
      `,
      { id: runId },
    );
    expect(response.errors).toBeUndefined();
    const run = response.data!.run;
    const rows = await t.platform.database.prisma.identity.findMany({ where: { runId }, orderBy: { index: 'asc' } });
    expect(rows).toHaveLength(5);
    expect(new URL(run.latentsUrl.url).searchParams.get('X-Amz-Expires')).toBe('600');
    expect(Date.parse(run.latentsUrl.expiresAt) - Date.now()).toBeGreaterThan(590_000);
    expect((await bytesAt(run.latentsUrl.url)).equals(Buffer.concat(rows.map((row) => row.latent)))).toBe(true);
    expect((await bytesAt(run.embeddingsUrl.url)).equals(Buffer.concat(rows.map((row) => row.embedding)))).toBe(true);
    for (const { node } of run.identities.edges) {
      const png = await bytesAt(node.imageUrl.url);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(createHash('sha256').update(png).digest('hex')).toBe(node.imageSha256);
    }
  });

  it('has no files for an unfinished run, and refuses an expiry out of range naming it', async () => {
    const queued = await t.platform.database.prisma.run.create({
      data: {
        kind: 'LANGEVIN',
        status: RunStatus.QUEUED,
        parameters: {},
        seed: 1n,
        modelPackId: packId,
        totalIterations: 1,
      },
    });
    const none = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      'query($id: ID!) { run(id: $id) { latentsUrl { url } embeddingsUrl { url } } }',
      { id: queued.id },
    );
    expect(none.data!.run).toEqual({ latentsUrl: null, embeddingsUrl: null });
    const bad = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      'query($id: ID!) { run(id: $id) { latentsUrl(expiresIn: 0) { url } } }',
      { id: runId },
    );
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'expiresIn' });
  });

  it('hands the checkpoint of a cancelled run to operators only', { timeout: 240_000 }, async () => {
    const cancelled = await startRun({ iterations: 400, checkpointEvery: 1, seed: '12' });
    await waitFor(async () => (await runRow(cancelled)).iteration >= 2, 120_000, 'two iterations');
    await graphql(t.url, t.keys[Role.OPERATOR], 'mutation($id: ID!) { cancelRun(id: $id) { id } }', { id: cancelled });
    await waitFor(
      async () => (await runRow(cancelled)).status === RunStatus.CANCELLED,
      120_000,
      'the run to be cancelled',
    );
    const query = 'query($id: ID!) { run(id: $id) { checkpointUrl { url } } }';
    const operator = await graphql(t.url, t.keys[Role.OPERATOR], query, { id: cancelled });
    expect(
      (await bytesAt(operator.data!.run.checkpointUrl.url)).equals(
        await t.platform.store.getBytes(checkpointKey(cancelled)),
      ),
    ).toBe(true);
    expect(errorCode(await graphql(t.url, t.keys[Role.VIEWER], query, { id: cancelled }))).toBe('FORBIDDEN');
    expect((await graphql(t.url, t.keys[Role.OPERATOR], query, { id: runId })).data!.run.checkpointUrl).toBeNull();
  });

  it('`brownian download` writes the images, checked against their digests, and the latents and embeddings files', async () => {
    const out = await mkdtemp(join(tmpdir(), 'brownian-download-'));
    dirs.push(out);
    const result = await brownian(['download', runId, '--out', out, '--url', t.url, '--key', t.keys[Role.VIEWER]]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`5 images, latents.f32 and embeddings.f32 written to ${join(out, runId)}`);
    const rows = await t.platform.database.prisma.identity.findMany({ where: { runId }, orderBy: { index: 'asc' } });
    expect((await readFile(join(out, runId, 'latents.f32'))).equals(Buffer.concat(rows.map((row) => row.latent)))).toBe(
      true,
    );
    const images = (await readdir(join(out, runId, 'images'))).sort();
    expect(images).toEqual(rows.map((row) => `identity-${String(row.index).padStart(5, '0')}.png`));
    for (const row of rows) {
      const png = await readFile(join(out, runId, 'images', `identity-${String(row.index).padStart(5, '0')}.png`));
      expect(createHash('sha256').update(png).digest('hex')).toBe(row.imageSha256);
    }

    const missing = await brownian([
      'download',
      '00000000-0000-4000-8000-000000000000',
      '--url',
      t.url,
      '--key',
      t.keys[Role.VIEWER],
    ]);
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe('error: NOT_FOUND: run 00000000-0000-4000-8000-000000000000 does not exist');
  });
});
