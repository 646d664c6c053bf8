/**
 * Where one Langevin iteration spends its time: the networks (batched forward and VJP of the
 * built-in pack) against the pairwise work on the engine (repulsion, exclusion, statistics, latent
 * distances), at N = 1,000 and 10,000 (BENCH_LANGEVIN_N). The rest is the random numbers and the
 * update. The built-in pack has 32-dimensional latents and embeddings; a real pack's networks cost
 * far more per identity while the pairwise work grows with the embedding dimension only linearly.
 */
import type { LangevinPairs } from '../services/worker/src/diffusion/langevinPairs.js';
import { initialLatents, langevinStep, type LangevinState } from '../services/worker/src/diffusion/langevin.js';
import { CounterRng } from '../services/worker/src/diffusion/rng.js';
import type { EmbeddingModel } from '../services/worker/src/engine/EmbeddingModel.js';
import { miniPackFiles } from '../services/worker/src/pack/builtin/index.js';
import { loadPack } from '../services/worker/src/pack/loadPack.js';
import { PackModel } from '../services/worker/src/pack/PackModel.js';
import { pairwiseEngine } from '../services/worker/src/pairwise/engine.js';
import { engineLangevinPairs } from '../services/worker/src/pairwise/langevinPairs.js';
import { langevinParams } from '../src/core/runs/langevinParams.js';
import { memorySource } from '../src/core/packs/packSource.js';
import { cpus, loadavg } from 'node:os';
import type { BenchReport } from './report.js';

const BATCH = 32;

class Stopwatch {
  seconds = 0;
  async time<T>(run: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await run();
    } finally {
      this.seconds += (performance.now() - start) / 1000;
    }
  }
}

function timedModel(model: EmbeddingModel, watch: Stopwatch): EmbeddingModel {
  return {
    latentDim: model.latentDim,
    embeddingDim: model.embeddingDim,
    executionProvider: model.executionProvider,
    embed: (latents, count) => watch.time(() => model.embed(latents, count)),
    vjp: (latents, upstream, count) => watch.time(() => model.vjp(latents, upstream, count)),
    release: () => model.release(),
  };
}

function timedPairs(pairs: LangevinPairs, watch: Stopwatch): LangevinPairs {
  return {
    repulsion: (...args) => watch.time(() => pairs.repulsion(...args)),
    distanceStats: (...args) => watch.time(() => pairs.distanceStats(...args)),
    exclusion: (...args) => watch.time(() => pairs.exclusion(...args)),
    latentDistances: (...args) => watch.time(() => pairs.latentDistances(...args)),
  };
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

export async function bench(): Promise<BenchReport> {
  const loadBefore = loadavg()[0]!;
  const counts = (process.env.BENCH_LANGEVIN_N ?? '1000,10000').split(',').map(Number);
  const pack = await loadPack(memorySource(miniPackFiles().files));
  const model = await PackModel.open(pack, { batchSize: BATCH, device: 'cpu' });
  const rows: Array<Record<string, string | number>> = [];
  try {
    const pairs = engineLangevinPairs(await pairwiseEngine('cpu'));
    for (const count of counts) {
      const params = langevinParams({ batchSize: BATCH });
      const latents = await initialLatents({
        count,
        noiseDim: pack.manifest.mapping.zDim,
        latentAverage: pack.wAvg,
        truncationPsi: params.truncationPsi,
        batchSize: BATCH,
        mapping: (z, n) => model.mapLatents(z, n, 1),
        rng: new CounterRng(3n),
      });
      const state: LangevinState = { count, latentDim: model.latentDim, latents, iteration: 0 };
      const networks = new Stopwatch();
      const pairwise = new Stopwatch();
      const system = {
        model: timedModel(model, networks),
        latentAverage: pack.wAvg,
        exclusionGallery: null,
        pairs: timedPairs(pairs, pairwise),
      };
      // The first size also runs one iteration to warm the sessions and the JIT.
      if (count === counts[0]) await langevinStep(state, system, params, new CounterRng(1n));
      networks.seconds = 0;
      pairwise.seconds = 0;
      const start = performance.now();
      await langevinStep(state, system, params, new CounterRng(1n));
      const total = (performance.now() - start) / 1000;
      rows.push({
        identities: count,
        iterationSeconds: round(total, 3),
        networksSeconds: round(networks.seconds, 3),
        pairwiseSeconds: round(pairwise.seconds, 3),
        restSeconds: round(total - networks.seconds - pairwise.seconds, 3),
        networksShare: round(networks.seconds / total, 3),
        pairwiseShare: round(pairwise.seconds / total, 3),
      });
    }
  } finally {
    await model.release();
  }
  return {
    name: 'Langevin iteration: networks against pairwise work (built-in pack, CPU)',
    rows,
    notes: [
      `load average of the machine (1 min): ${round(loadBefore, 1)} at the start, ${round(loadavg()[0]!, 1)} at the ` +
        `end, on ${cpus().length} cores`,
      `built-in pack: latents and embeddings of 32 dimensions, batch ${BATCH}; pairwise on the engine (float32 ` +
        `tiles for repulsion and its statistics, float64 for latent distances); one iteration each, after a ` +
        `warm-up iteration at the first size`,
      'rest: random numbers, forces, the update and the statistics outside the pairwise kernels',
    ],
  };
}
