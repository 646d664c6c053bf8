/**
 * The Langevin engine on the built-in pack through the ONNX-backed PackModel: the behaviour the
 * method exists for, on real (small) generator and recognizer graphs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unitRows } from '../../../../services/worker/src/diffusion/angular.js';
import {
  initialLatents,
  langevinStateStats,
  langevinStep,
  type LangevinIterationStats,
  type LangevinState,
  type LangevinSystem,
} from '../../../../services/worker/src/diffusion/langevin.js';
import { langevinParams, type LangevinParams } from '../../../../src/core/runs/langevinParams.js';
import { CounterRng } from '../../../../services/worker/src/diffusion/rng.js';
import { miniPackFiles } from '../../../../services/worker/src/pack/builtin/index.js';
import { loadPack, type LoadedPack } from '../../../../services/worker/src/pack/loadPack.js';
import { PackModel } from '../../../../services/worker/src/pack/PackModel.js';
import { memorySource } from '../../../../src/core/packs/packSource.js';

const N = 32;
const BATCH = 16;

let pack: LoadedPack;
let model: PackModel;

beforeAll(async () => {
  pack = await loadPack(memorySource(miniPackFiles().files));
  model = await PackModel.open(pack, { batchSize: BATCH, device: 'cpu' });
});

afterAll(async () => {
  await model.release();
});

async function startingState(rng: CounterRng): Promise<LangevinState> {
  const latents = await initialLatents({
    count: N,
    noiseDim: pack.manifest.mapping.zDim,
    latentAverage: pack.wAvg,
    truncationPsi: 0.7,
    batchSize: BATCH,
    // ψ = 1: M(z) itself; initialLatents applies the truncation.
    mapping: (z, count) => model.mapLatents(z, count, 1),
    rng,
  });
  return { count: N, latentDim: model.latentDim, latents, iteration: 0 };
}

async function run(system: LangevinSystem, params: LangevinParams, state: LangevinState, rng: CounterRng) {
  const stats: LangevinIterationStats[] = [];
  for (let t = 0; t < params.iterations; t++) {
    const step = await langevinStep(state, system, params, rng);
    stats.push(step.stats);
    state = step.state;
  }
  return { stats, final: await langevinStateStats(state, system, params) };
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

describe('Langevin on the built-in pack', () => {
  it('spreads identities apart: the smallest pairwise angle and prop_ict rise over the iterations', async () => {
    const rng = new CounterRng(7n);
    const system: LangevinSystem = { model, latentAverage: pack.wAvg, exclusionGallery: null };
    const params = langevinParams({ iterations: 20, batchSize: BATCH });
    const { stats, final } = await run(system, params, await startingState(rng), rng);
    const first = stats[0]!;
    expect(first.embeddingDistance.min).toBeLessThan(params.repulsionRadius);
    expect(final.embeddingDistance.min).toBeGreaterThan(first.embeddingDistance.min + 0.4);
    expect(mean(stats.slice(-3).map((s) => s.embeddingDistance.min))).toBeGreaterThan(
      mean(stats.slice(0, 3).map((s) => s.embeddingDistance.min)),
    );
    // One state's prop_ict moves by several hundredths from one iteration to the next (0.71–0.82
    // over these 20, and the trajectory is chaotic: the pack is piecewise linear, see
    // pairwise/langevinTrajectory.test.ts), so its rise is checked on means of five iterations.
    expect(mean(stats.slice(-5).map((s) => s.propIct))).toBeGreaterThan(mean(stats.slice(0, 5).map((s) => s.propIct)));
  });

  it("pushes every identity beyond c0 from an exclusion gallery of the pack's own embeddings", async () => {
    const rng = new CounterRng(11n);
    const start = await startingState(rng);
    // Real faces standing in the way: embeddings of latents next to eight of the identities.
    const nearby = start.latents.slice(0, 8 * model.latentDim).map((x, k) => x + 0.1 * Math.sin(1.3 * k));
    const gallery = unitRows(await model.embed(nearby, 8), 8, model.embeddingDim);
    const system: LangevinSystem = { model, latentAverage: pack.wAvg, exclusionGallery: gallery };
    const params = langevinParams({ iterations: 30, batchSize: BATCH, exclusionDistance: 0.7 });
    const { stats, final } = await run(system, params, start, rng);
    expect(stats[0]!.exclusion!.identitiesWithin).toBeGreaterThanOrEqual(8);
    expect(stats[0]!.exclusion!.minDistance).toBeLessThan(0.2);
    expect(final.exclusion!.identitiesWithin).toBe(0);
    expect(final.exclusion!.minDistance).toBeGreaterThan(params.exclusionDistance);
  });
});

describe('Langevin on the built-in pack, at different batch sizes', () => {
  it('gives bit-identical latents on the CPU whatever the batch size', async () => {
    const trajectories: Float32Array[] = [];
    for (const batchSize of [3, 8, 12]) {
      const batched = await PackModel.open(pack, { batchSize, device: 'cpu' });
      const rng = new CounterRng(5n);
      const params = langevinParams({ batchSize, iterations: 4 });
      const system: LangevinSystem = { model: batched, latentAverage: pack.wAvg, exclusionGallery: null };
      const latents = await initialLatents({
        count: 12,
        noiseDim: pack.manifest.mapping.zDim,
        latentAverage: pack.wAvg,
        truncationPsi: pack.manifest.truncation,
        batchSize,
        mapping: (z, n) => batched.mapLatents(z, n, 1),
        rng,
      });
      let state: LangevinState = { count: 12, latentDim: pack.manifest.latentDim, latents, iteration: 0 };
      for (let i = 0; i < params.iterations; i++) state = (await langevinStep(state, system, params, rng)).state;
      trajectories.push(state.latents);
      await batched.release();
    }
    const [first, ...others] = trajectories;
    for (const other of others) expect(Buffer.from(other!.buffer).equals(Buffer.from(first!.buffer))).toBe(true);
  });
});
