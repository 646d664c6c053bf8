import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkModels, type CheckReport } from '../../../services/worker/src/pack/check.js';
import { loadPack } from '../../../services/worker/src/pack/loadPack.js';
import { composePack, PackModel } from '../../../services/worker/src/pack/PackModel.js';
import { batchGradientAgreement } from '../../services/worker/autodiff/anyBatchCheck.js';
import { expectPackInferenceMatchesProbe } from '../../services/worker/autodiff/staticInfoCheck.js';
import { editManifest, exportPack, landmarks32, loadReference, makeNetworks } from './support.js';

let dir: string;
const file = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'brownian-export-'));
  await makeNetworks({ generator: file('g.pkl'), recognizer: file('r.pt'), seed: 1 });
  await makeNetworks({ generator: file('camera.pkl'), conditional: true, seed: 2 });
  await makeNetworks({ generator: file('sg3.pkl'), stylegan3: true, seed: 4 });
}, 180_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const allReferenceSections = [
  'mapping output',
  'generator image',
  'generator VJP',
  'recognizer embedding',
  'recognizer VJP',
  'composite embedding',
  'composite VJP',
];

/** pack check against the torch reference; the gradient graph's shapes come from shape inference, checked against the probe. */
async function checkAgainstTorch(pack: string, batch: number): Promise<CheckReport> {
  await expectPackInferenceMatchesProbe(await loadPack(pack), batch);
  return checkModels({ pack }, { batch, reference: await loadReference(pack), device: 'cpu' });
}

/**
 * One gradient session serves every batch size of the pack, and gives at batches 1 to 3 what the graph
 * built for that batch gives, within float32 rounding (bit-identical for the w+ and StyleGAN3 packs when
 * written; the camera pack's batch-1 graph differed by 6e-7 of the largest value, onnxruntime optimising
 * the static graph otherwise).
 */
async function expectOneGradientGraph(pack: string): Promise<void> {
  const loaded = await loadPack(pack);
  const model = await PackModel.open(loaded, { batchSize: 4, device: 'cpu' });
  try {
    expect(await model.gradientServesEveryBatch()).toBe(true);
  } finally {
    await model.release();
  }
  const { model: composite, input, output } = composePack(loaded);
  for (const { batch, maxRelativeDifference } of await batchGradientAgreement(composite, input, output, [1, 2, 3]))
    expect(maxRelativeDifference, `batch ${batch}`).toBeLessThan(1e-6);
}

function expectMatchesTorch(report: CheckReport): void {
  expect(report.problems).toEqual([]);
  expect(report.reference.map((r) => r.name)).toEqual(allReferenceSections);
  for (const r of report.reference) expect(r.relativeError, r.name).toBeLessThan(1e-4);
  expect(report.passed).toBe(true);
}

describe('tools/export/make_pack.py', () => {
  it('exports a w+ generator with noise inputs and a BGR mean/std recognizer aligned by five landmarks, matching torch', async () => {
    const pack = file('wplus');
    await exportPack(pack, file('g.pkl'), file('r.pt'), 'tiny', 32, [
      '--landmarks',
      landmarks32,
      '--channel-order',
      'BGR',
      '--pixel-range',
      '0,1',
      '--mean',
      '0.485,0.456,0.406',
      '--std',
      '0.229,0.224,0.225',
      '--noise-inputs',
    ]);
    const report = await checkAgainstTorch(pack, 4);
    expectMatchesTorch(report);
    await expectOneGradientGraph(pack);
    expect(report.dims).toMatchObject({
      latentDim: 16,
      numWs: 8,
      image: [3, 32, 32],
      recognizerInput: [3, 112, 112],
      embeddingDim: 32,
    });
    const loaded = await loadPack(pack);
    expect(loaded.manifest.generator.constantInputs?.map((c) => c.name)).toEqual([
      'noise_0',
      'noise_1',
      'noise_2',
      'noise_3',
      'noise_4',
      'noise_5',
      'noise_6',
    ]);
  }, 300_000);

  it('exports an EG3D-style camera-conditioned generator and an NHWC recognizer with a normalised output, cropped', async () => {
    const pack = file('camera');
    const camera = Array.from({ length: 25 }, (_, k) => ((k % 5) - 2) / 4);
    await exportPack(pack, file('camera.pkl'), file('r.pt'), 'tiny', 32, [
      '--crop',
      '4,4,24,24',
      '--layout',
      'NHWC',
      '--normalize-output',
      `--camera=${camera.join(',')}`,
    ]);
    const report = await checkAgainstTorch(pack, 2);
    expectMatchesTorch(report);
    await expectOneGradientGraph(pack);
    expect(report.dims?.recognizerInput).toEqual([112, 112, 3]);

    // A run's camera replaces the pack's default and changes the faces; unknown keys are refused.
    const loaded = await loadPack(pack);
    const w = loaded.wAvg;
    const [byDefault, turned] = await Promise.all([
      PackModel.open(loaded, { batchSize: 1, device: 'cpu' }),
      PackModel.open(loaded, { batchSize: 1, device: 'cpu', generatorInputs: { camera: camera.map((v) => -v) } }),
    ]);
    const [a, b] = [await byDefault.embed(w, 1), await turned.embed(w, 1)];
    await Promise.all([byDefault.release(), turned.release()]);
    const cosine = a.reduce((s, v, k) => s + v * b[k]!, 0);
    expect(cosine).toBeLessThan(0.9999);
    await expect(
      PackModel.open(loaded, { batchSize: 1, device: 'cpu', generatorInputs: { pose: [1] } }),
    ).rejects.toThrow(/generatorInputs: the pack takes no pose \(it takes: camera\)/);
    await expect(
      PackModel.open(loaded, { batchSize: 1, device: 'cpu', generatorInputs: { camera: [1, 2] } }),
    ).rejects.toThrow(/generatorInputs.camera: expected 25 finite numbers, got 2/);
  }, 300_000);

  it('exports a StyleGAN3 generator (Fourier features under a w-dependent transform, filtered lrelu), matching torch', async () => {
    const pack = file('sg3');
    await exportPack(pack, file('sg3.pkl'), file('r.pt'), 'tiny', 32, ['--crop', '2,2,12,12']);
    const report = await checkAgainstTorch(pack, 3);
    expectMatchesTorch(report);
    await expectOneGradientGraph(pack);
    expect(report.dims).toMatchObject({ latentDim: 16, numWs: 4, image: [3, 16, 16], embeddingDim: 32 });
    // The ops whose gradient rules StyleGAN3 needs are in the differentiated generator, each with its rule.
    const generator = report.models.find((m) => m.role === 'generator')!;
    for (const op of ['Sin', 'ScatterND']) {
      const report = generator.ops.find((o) => o.opType === op);
      expect(report, op).toMatchObject({ hasGradient: true });
      expect(report!.onGradientPath, op).toBeGreaterThan(0);
    }
  }, 300_000);

  it('keeps a fused export usable at its batch, and pack check says how to re-export it when the batch is not declared', async () => {
    const pack = file('fused');
    await exportPack(pack, file('g.pkl'), file('r.pt'), 'tiny', 32, ['--landmarks', landmarks32, '--fused-batch', '3']);
    const report = await checkAgainstTorch(pack, 8);
    expectMatchesTorch(report);
    expect(report.fixedBatch).toBe(3);
    expect(report.timing?.batch).toBe(8);
    // Its grouped Conv has the batch in its weights' shape: gradients run at the fixed batch only.
    const fused = await PackModel.open(await loadPack(pack), { batchSize: 8, device: 'cpu' });
    expect(await fused.gradientServesEveryBatch()).toBe(false);
    await fused.release();

    await editManifest(pack, (manifest) => delete manifest.generator.batch);
    const refused = await checkModels({ pack }, { batch: 2, device: 'cpu' });
    expect(refused.passed).toBe(false);
    expect(refused.problems).toEqual([
      expect.stringMatching(
        /^generator\.batch: is not set, but Conv ".*" has group 3 with computed weights .*fused_modconv=False.*"batch": 3/,
      ),
    ]);
  }, 300_000);
});
