/**
 * Langevin on the engine against Langevin on today's float64 JavaScript kernels: six iterations
 * on the test model and on the built-in pack, with and without an exclusion gallery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unitRows } from '../../../../services/worker/src/diffusion/angular.js';
import {
  initialLatents,
  langevinStep,
  type LangevinState,
  type LangevinSystem,
} from '../../../../services/worker/src/diffusion/langevin.js';
import { referenceLangevinPairs } from '../../../../services/worker/src/diffusion/langevinPairs.js';
import { langevinParams, type LangevinParams } from '../../../../src/core/runs/langevinParams.js';
import { CounterRng } from '../../../../services/worker/src/diffusion/rng.js';
import type { EmbeddingModel } from '../../../../services/worker/src/engine/EmbeddingModel.js';
import { miniPackFiles } from '../../../../services/worker/src/pack/builtin/index.js';
import { loadPack, type LoadedPack } from '../../../../services/worker/src/pack/loadPack.js';
import { PackModel } from '../../../../services/worker/src/pack/PackModel.js';
import { memorySource } from '../../../../src/core/packs/packSource.js';
import { AnalyticModel, randomArray } from '../diffusion/analyticModel.js';

const ITERATIONS = 6;

async function trajectory(system: LangevinSystem, params: LangevinParams, start: LangevinState) {
  const rng = new CounterRng(5n);
  const states = [start];
  const stats = [];
  for (let t = 0; t < ITERATIONS; t++) {
    const step = await langevinStep(states[t]!, system, params, rng);
    states.push(step.state);
    stats.push(step.stats);
  }
  return { states, stats };
}

/** Runs both kernels from `start` and checks every iteration's latents and statistics. */
async function compare(
  model: EmbeddingModel,
  latentAverage: Float32Array,
  gallery: Float32Array | null,
  params: LangevinParams,
  start: LangevinState,
) {
  const exclusionGallery =
    gallery === null ? null : unitRows(gallery, gallery.length / model.embeddingDim, model.embeddingDim);
  const engine = await trajectory({ model, latentAverage, exclusionGallery }, params, start);
  const reference = await trajectory(
    { model, latentAverage, exclusionGallery, pairs: referenceLangevinPairs(7) },
    params,
    start,
  );
  let worst = 0;
  for (let t = 1; t <= ITERATIONS; t++) {
    const got = engine.states[t]!.latents;
    const want = reference.states[t]!.latents;
    let scale = 0;
    for (let k = 0; k < want.length; k++) scale = Math.max(scale, Math.abs(want[k]! - start.latents[k]!));
    let diff = 0;
    for (let k = 0; k < want.length; k++) diff = Math.max(diff, Math.abs(got[k]! - want[k]!));
    // Relative to how far the latents moved: an error in the forces shows there and nowhere else.
    worst = Math.max(worst, diff / scale);
    const [a, b] = [engine.stats[t - 1]!, reference.stats[t - 1]!];
    expect(a.propIct).toBe(b.propIct);
    expect(a.dt).toBeCloseTo(b.dt, 10);
    expect(a.embeddingDistance.min).toBeCloseTo(b.embeddingDistance.min, 6);
    expect(a.latentDistance.min).toBeCloseTo(b.latentDistance.min, 6);
    expect(a.interactionForce.max).toBeCloseTo(b.interactionForce.max, 6);
  }
  expect(worst).toBeLessThan(1e-4);
  return worst;
}

describe('Langevin on the engine follows today’s kernels', () => {
  it.each([false, true])('on the test model (exclusion gallery: %s)', async (withGallery) => {
    const [W, N] = [8, 40];
    const model = new AnalyticModel(W, 16, 6, 1);
    const latentAverage = Float32Array.from(randomArray(W, 77, 0.4));
    const start: LangevinState = {
      count: N,
      latentDim: W,
      latents: Float32Array.from(randomArray(N * W, 3, 2)),
      iteration: 0,
    };
    const gallery = withGallery ? await model.embed(Float32Array.from(randomArray(5 * W, 8, 2)), 5) : null;
    await compare(
      model,
      latentAverage,
      gallery,
      langevinParams({ batchSize: 8, randomForce: 0.05, exclusionDistance: 0.6 }),
      start,
    );
  });

  describe('on the built-in pack', () => {
    let pack: LoadedPack;
    let model: PackModel;
    beforeAll(async () => {
      pack = await loadPack(memorySource(miniPackFiles().files));
      model = await PackModel.open(pack, { batchSize: 16, device: 'cpu' });
    });
    afterAll(() => model.release());

    it('six iterations within 1e-4', { timeout: 180_000 }, async () => {
      const count = 48;
      const latents = await initialLatents({
        count,
        noiseDim: pack.manifest.mapping.zDim,
        latentAverage: pack.wAvg,
        truncationPsi: 0.7,
        batchSize: 16,
        mapping: (z, n) => model.mapLatents(z, n, 1),
        rng: new CounterRng(11n),
      });
      const start: LangevinState = { count, latentDim: model.latentDim, latents, iteration: 0 };
      const gallery = await model.embed(
        latents.map((x, k) => x + 0.3 * Math.sin(k)).subarray(0, 6 * model.latentDim),
        6,
      );
      await compare(model, pack.wAvg, gallery, langevinParams({ batchSize: 16 }), start);
    });
  });
});
