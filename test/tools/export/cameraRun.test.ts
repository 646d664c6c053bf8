import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../../src/cli/apiClient.js';
import { pushPack } from '../../../src/cli/packPush.js';
import { parseManifest, type PackManifest } from '../../../src/core/packs/manifest.js';
import { Role, RunStatus } from '../../../src/generated/prisma/enums.js';
import { webAppDir } from '../../../src/server/webApp.js';
import { chromiumPath, launchBrowser } from '../../support/browser.js';
import { errorCode, graphql } from '../../support/graphqlClient.js';
import { startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';
import { waitFor } from '../../support/workerProcess.js';
import { exportPack, makeNetworks } from './support.js';

let dir: string;
let packDir: string;
let manifest: PackManifest;
let t: TestPlatform;
let packId: string;

/** The pack's default camera, and the one runs turn to. */
const defaultCamera = Array.from({ length: 25 }, (_, k) => ((k % 5) - 2) / 4);
const turnedCamera = defaultCamera.map((v, k) => (k % 3 === 0 ? -v : v + 0.5));
const sideCamera = defaultCamera.map((v, k) => v * ((k % 2) * 2 - 1));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'brownian-camera-'));
  packDir = join(dir, 'pack');
  await makeNetworks({ generator: join(dir, 'g.pkl'), conditional: true, recognizer: join(dir, 'r.pt'), seed: 5 });
  await exportPack(packDir, join(dir, 'g.pkl'), join(dir, 'r.pt'), 'tiny', 32, [
    '--crop',
    '4,4,24,24',
    `--camera=${defaultCamera.join(',')}`,
  ]);
  manifest = parseManifest(await readFile(join(packDir, 'manifest.json'), 'utf8'));
  t = await startTestPlatform({ api: true, worker: true });
  const client = new ApiClient(t.url, t.keys[Role.OPERATOR]);
  try {
    packId = (await pushPack(client, packDir)).id;
  } finally {
    await client.close();
  }
}, 420_000);
afterAll(async () => {
  await t?.stop();
  await rm(dir, { recursive: true, force: true });
});

const startLangevin = (input: Record<string, unknown>) =>
  graphql(
    t.url,
    t.keys[Role.OPERATOR],
    'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id parameters } }',
    { input: { modelPackId: packId, numIdentities: 3, iterations: 2, seed: '11', batchSize: 4, ...input } },
  );

const startDispersion = (input: Record<string, unknown>) =>
  graphql(
    t.url,
    t.keys[Role.OPERATOR],
    'mutation($input: DispersionRunInput!) { startDispersionRun(input: $input) { id parameters } }',
    { input: { numVariations: 2, iterations: 1, seed: '12', batchSize: 4, ...input } },
  );

async function finished(runId: string): Promise<void> {
  const run = await waitFor(
    async () => {
      const row = await t.platform.database.prisma.run.findUniqueOrThrow({ where: { id: runId } });
      return row.status === RunStatus.SUCCEEDED || row.status === RunStatus.FAILED ? row : undefined;
    },
    300_000,
    `run ${runId} to finish`,
  );
  expect(run.error).toBeNull();
  expect(run.status).toBe(RunStatus.SUCCEEDED);
}

interface Face {
  latent: number[];
  png: Uint8Array;
}

async function faces(runId: string, connection: 'identities' | 'samples'): Promise<Face[]> {
  const response = await graphql(
    t.url,
    t.keys[Role.VIEWER],
    `query($id: ID!) { run(id: $id) { ${connection}(first: 50) { edges { node { latent imageUrl { url } } } } } }`,
    { id: runId },
  );
  expect(response.errors).toBeUndefined();
  const edges = response.data!.run[connection].edges as Array<{
    node: { latent: number[]; imageUrl: { url: string } };
  }>;
  return Promise.all(
    edges.map(async ({ node }) => ({
      latent: node.latent,
      png: new Uint8Array(await (await fetch(node.imageUrl.url)).arrayBuffer()),
    })),
  );
}

/**
 * The pack's generator.onnx run directly by onnxruntime, with w broadcast to every layer and the
 * given camera, as 8-bit RGB in pixel order: an independent path from the worker's composed graph.
 */
async function directImages(latents: number[][], camera: number[]): Promise<Uint8Array[]> {
  const { generator, latentDim } = manifest;
  const numWs = generator.numWs ?? 1;
  const session = await ort.InferenceSession.create(join(packDir, generator.file));
  try {
    const n = latents.length;
    const ws = new Float32Array(n * numWs * latentDim);
    latents.forEach((w, i) => {
      for (let l = 0; l < numWs; l++) ws.set(w, (i * numWs + l) * latentDim);
    });
    const cameraInput = generator.constantInputs!.find((c) => c.runParameter === 'camera')!;
    const c = new Float32Array(n * camera.length);
    for (let i = 0; i < n; i++) c.set(camera, i * camera.length);
    const feeds = {
      [generator.input]: new ort.Tensor('float32', ws, generator.numWs ? [n, numWs, latentDim] : [n, latentDim]),
      [cameraInput.name]: new ort.Tensor('float32', c, [n, camera.length]),
    };
    const image = (await session.run(feeds))[generator.output]!.data as Float32Array;
    const [low, high] = generator.pixelRange;
    const plane = generator.height * generator.width;
    return latents.map((_, i) => {
      const rgb = new Uint8Array(plane * 3);
      for (let p = 0; p < plane; p++)
        for (let ch = 0; ch < 3; ch++) {
          const v = image[(i * 3 + ch) * plane + p]!;
          rgb[p * 3 + ch] = Math.min(255, Math.max(0, Math.round(((v - low) * 255) / (high - low))));
        }
      return rgb;
    });
  } finally {
    await session.release();
  }
}

function pngPixels(png: Uint8Array): Uint8Array {
  const { data, width, height } = PNG.sync.read(Buffer.from(png));
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) for (let ch = 0; ch < 3; ch++) rgb[p * 3 + ch] = data[p * 4 + ch]!;
  return rgb;
}

/** Largest and mean absolute difference in 8-bit levels. */
function difference(a: Uint8Array, b: Uint8Array): { max: number; mean: number } {
  expect(a.length).toBe(b.length);
  let max = 0;
  let sum = 0;
  for (let k = 0; k < a.length; k++) {
    const d = Math.abs(a[k]! - b[k]!);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

/** Each face's image is the generator's under `camera` (to rounding), and visibly not under `other`. */
async function expectSeenThrough(list: Face[], camera: number[], other: number[]): Promise<void> {
  const latents = list.map((f) => f.latent);
  const [expected, elsewhere] = [await directImages(latents, camera), await directImages(latents, other)];
  list.forEach((face, i) => {
    const got = pngPixels(face.png);
    expect(difference(got, expected[i]!).max, `face ${i} under its camera`).toBeLessThanOrEqual(1);
    expect(difference(got, elsewhere[i]!).mean, `face ${i} under another camera`).toBeGreaterThan(2);
  });
}

describe('camera conditioning as a run parameter (EG3D-style pack)', () => {
  it.each([
    [[{ name: 'pose', values: [1] }], 'input.generatorInputs[0].name'],
    [[{ name: 'camera', values: [1, 2] }], 'input.generatorInputs[0].values'],
    [
      [
        { name: 'camera', values: defaultCamera },
        { name: 'camera', values: defaultCamera },
      ],
      'input.generatorInputs[1].name',
    ],
  ])('refuses generatorInputs %j naming %s, and creates no run', async (generatorInputs, field) => {
    const before = await t.platform.database.prisma.run.count();
    const response = await startLangevin({ generatorInputs });
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions!.field).toBe(field);
    expect(await t.platform.database.prisma.run.count()).toBe(before);
  });

  it(
    "renders Langevin identities and Dispersion samples through the run's camera, recorded in its parameters",
    { timeout: 900_000 },
    async () => {
      const langevin = await startLangevin({ generatorInputs: [{ name: 'camera', values: turnedCamera }] });
      expect(langevin.errors).toBeUndefined();
      const runId: string = langevin.data!.startLangevinRun.id;
      expect(langevin.data!.startLangevinRun.parameters.generatorInputs.camera).toEqual(
        turnedCamera.map((v) => expect.closeTo(v, 12)),
      );
      await finished(runId);
      const identities = await faces(runId, 'identities');
      expect(identities).toHaveLength(3);
      await expectSeenThrough(identities, turnedCamera, defaultCamera);

      // Dispersion sees the parent's identities through the parent's camera unless told otherwise.
      const inherited = await startDispersion({ parentRunId: runId });
      expect(inherited.errors).toBeUndefined();
      expect(inherited.data!.startDispersionRun.parameters.generatorInputs.camera).toEqual(
        turnedCamera.map((v) => expect.closeTo(v, 12)),
      );
      const refused = await startDispersion({ parentRunId: runId, generatorInputs: [{ name: 'camera', values: [0] }] });
      expect(errorCode(refused)).toBe('BAD_USER_INPUT');
      expect(refused.errors![0]!.extensions!.field).toBe('input.generatorInputs[0].values');

      const side = await startDispersion({
        parentRunId: runId,
        generatorInputs: [{ name: 'camera', values: sideCamera }],
      });
      expect(side.errors).toBeUndefined();
      const sideId: string = side.data!.startDispersionRun.id;
      await finished(inherited.data!.startDispersionRun.id);
      await finished(sideId);
      await expectSeenThrough(await faces(inherited.data!.startDispersionRun.id, 'samples'), turnedCamera, sideCamera);
      await expectSeenThrough(await faces(sideId, 'samples'), sideCamera, turnedCamera);

      // A run that sets nothing renders through the pack's default camera and records no replacement.
      const plain = await startLangevin({ numIdentities: 2, iterations: 0 });
      expect(plain.data!.startLangevinRun.parameters.generatorInputs).toEqual({});
      await finished(plain.data!.startLangevinRun.id);
      await expectSeenThrough(await faces(plain.data!.startLangevinRun.id, 'identities'), defaultCamera, turnedCamera);
    },
  );

  it(
    "takes the camera from the dashboard's start and variations forms, which refuse a wrong count before sending",
    { timeout: 600_000 },
    async () => {
      expect(existsSync(join(webAppDir, 'index.html')), 'the dashboard is built (npm run build:web)').toBe(true);
      expect(existsSync(chromiumPath), `${chromiumPath} is installed (apt-get install chromium)`).toBe(true);
      const browser = await launchBrowser();
      try {
        const page = await browser.newPage();
        const origin = new URL(t.url).origin;
        await page.goto(`${origin}/`);
        await page.getByLabel('API key').fill(t.keys[Role.OPERATOR]);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByTestId('who').getByText(Role.OPERATOR).waitFor();
        await page.goto(`${origin}/runs`);
        await page.getByRole('link', { name: 'Start a Langevin run' }).click();
        await page.getByLabel('Model pack').selectOption(packId);
        await page.getByLabel('Identities N').fill('2');
        await page.getByLabel('Iterations').fill('1');
        const camera = page.getByLabel(/^Generator input camera \(25 numbers/);

        const before = await t.platform.database.prisma.run.count();
        await camera.fill('1, 2');
        await page.getByRole('button', { name: 'Start' }).click();
        await page.getByRole('alert').getByText('camera: expected 25 numbers, got "1, 2"').waitFor();
        expect(await t.platform.database.prisma.run.count()).toBe(before);

        await camera.fill(sideCamera.join(', '));
        await page.getByRole('button', { name: 'Start' }).click();
        await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
        const runId = page.url().split('/').pop()!;
        const run = await t.platform.database.prisma.run.findUniqueOrThrow({ where: { id: runId } });
        expect((run.parameters as { generatorInputs: Record<string, number[]> }).generatorInputs.camera).toEqual(
          sideCamera.map((v) => expect.closeTo(v, 6)),
        );
        await finished(runId);
        await expectSeenThrough(await faces(runId, 'identities'), sideCamera, defaultCamera);

        // Dispersion from the run's page: the same field, refusing a wrong count, blank meaning the parent's camera.
        await page.reload();
        const variations = page.getByTestId('variations-form');
        await variations.getByLabel('Variations per identity').fill('2');
        await variations.getByLabel(/^Variation iterations/).fill('1');
        const variationCamera = variations.getByLabel(
          /^Generator input camera \(25 numbers; blank: the parent run's\)/,
        );
        const beforeVariations = await t.platform.database.prisma.run.count();
        await variationCamera.fill('3');
        await variations.getByRole('button', { name: 'Start variations' }).click();
        await variations.getByRole('alert').getByText('camera: expected 25 numbers, got "3"').waitFor();
        expect(await t.platform.database.prisma.run.count()).toBe(beforeVariations);

        await variationCamera.fill(turnedCamera.join(' '));
        await variations.getByRole('button', { name: 'Start variations' }).click();
        await page.waitForURL((url) => /\/runs\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(runId));
        const dispersionId = page.url().split('/').pop()!;
        const dispersion = await t.platform.database.prisma.run.findUniqueOrThrow({ where: { id: dispersionId } });
        expect(dispersion.parentRunId).toBe(runId);
        expect((dispersion.parameters as { generatorInputs: Record<string, number[]> }).generatorInputs.camera).toEqual(
          turnedCamera.map((v) => expect.closeTo(v, 6)),
        );
        await finished(dispersionId);
        await expectSeenThrough(await faces(dispersionId, 'samples'), turnedCamera, sideCamera);
        expect(browser.problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});
