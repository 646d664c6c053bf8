import { describe, expect, it } from 'vitest';
import { COSINE_SCALE, unitRows } from '../../../../services/worker/src/diffusion/angular.js';
import {
  initialLatents,
  langevinStateStats,
  langevinStep,
  type LangevinIterationStats,
  type LangevinState,
  type LangevinSystem,
} from '../../../../services/worker/src/diffusion/langevin.js';
import {
  langevinParams,
  validateLangevinParams,
  type LangevinParams,
} from '../../../../src/core/runs/langevinParams.js';
import { CounterRng, RandomStream } from '../../../../services/worker/src/diffusion/rng.js';
import { AnalyticModel, randomArray, relativeError } from './analyticModel.js';

const W = 8;
const H = 16;
const D = 6;
const N = 12;

function startState(seed: number): LangevinState {
  return { count: N, latentDim: W, latents: Float32Array.from(randomArray(N * W, seed, 2)), iteration: 0 };
}

const latentAverage = Float32Array.from(randomArray(W, 77, 0.4));

/**
 * The reference's loop, written independently: for each identity one embedding of the others,
 * one VJP of that identity alone, then the update.
 */
async function referenceRun(
  model: AnalyticModel,
  start: Float32Array,
  params: LangevinParams,
  iterations: number,
  gallery: Float64Array | null,
  galleryCount: number,
  rng: CounterRng,
): Promise<{ latents: Float32Array; dts: number[]; minEmbeddingDistances: number[] }> {
  let w = Float32Array.from(start);
  const dts: number[] = [];
  const minEmbeddingDistances: number[] = [];
  const angleTerm = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let d = 0; d < D; d++) {
      dot += a[d]! * b[d]!;
      na += a[d]! ** 2;
      nb += b[d]! ** 2;
    }
    const s = dot / Math.sqrt(na * nb);
    const dist = Math.acos(COSINE_SCALE * s);
    const dDistDs = -COSINE_SCALE / Math.sqrt(1 - (COSINE_SCALE * s) ** 2);
    const dDistDa = Array.from({ length: D }, (_, d) => dDistDs * (b[d]! / Math.sqrt(na * nb) - (s * a[d]!) / na));
    return { dist, dDistDa };
  };
  for (let t = 0; t < iterations; t++) {
    const embeddings: Float32Array[] = [];
    for (let i = 0; i < N; i++) embeddings.push(await model.embed(w.slice(i * W, (i + 1) * W), 1));
    let minDistance = Infinity;
    const total: number[][] = [];
    const random: number[][] = [];
    for (let i = 0; i < N; i++) {
      const upstream = new Float32Array(D);
      const gradient = new Float64Array(D);
      const repel = (other: ArrayLike<number>, radius: number) => {
        const { dist, dDistDa } = angleTerm(embeddings[i]!, other);
        if (dist < radius)
          for (let d = 0; d < D; d++) gradient[d] += -params.repulsionCoefficient * (radius - dist) * dDistDa[d]!;
        return dist;
      };
      for (let j = 0; j < N; j++) {
        if (j === i) continue;
        const dist = repel(embeddings[j]!, params.repulsionRadius);
        minDistance = Math.min(minDistance, dist);
      }
      for (let m = 0; m < galleryCount && gallery !== null; m++) {
        repel(gallery.subarray(m * D, (m + 1) * D), params.exclusionDistance);
      }
      upstream.set(gradient);
      const { latentGradient } = await model.vjp(w.slice(i * W, (i + 1) * W), upstream, 1);
      const noise = new Float64Array(W);
      rng.normalRow({ stream: RandomStream.langevinForce, iteration: t, index: i }, noise, 0, W);
      total.push(
        Array.from(
          { length: W },
          (_, d) => -latentGradient[d]! + params.latentForce * (latentAverage[d]! - w[i * W + d]!),
        ),
      );
      random.push(Array.from(noise, (x) => params.randomForce * x));
    }
    minEmbeddingDistances.push(minDistance);
    let dt = params.timestep;
    if (params.timestep < 0) {
      let minLatent = Infinity;
      for (let i = 0; i < N; i++) {
        for (let j = i + 1; j < N; j++) {
          let sum = 0;
          for (let d = 0; d < W; d++) sum += (w[i * W + d]! - w[j * W + d]!) ** 2;
          minLatent = Math.min(minLatent, Math.sqrt(sum));
        }
      }
      const maxForce = Math.max(...total.map((row) => Math.hypot(...row)));
      dt = (-params.timestep * params.viscosity * minLatent) / maxForce;
    }
    dts.push(dt);
    const next = new Float32Array(N * W);
    for (let i = 0; i < N; i++) {
      for (let d = 0; d < W; d++) {
        next[i * W + d] =
          w[i * W + d]! + (dt / params.viscosity) * total[i]![d]! + (Math.sqrt(dt) / params.viscosity) * random[i]![d]!;
      }
    }
    w = next;
  }
  return { latents: w, dts, minEmbeddingDistances };
}

async function engineRun(
  system: LangevinSystem,
  state: LangevinState,
  params: LangevinParams,
  iterations: number,
  rng: CounterRng,
): Promise<{ state: LangevinState; stats: LangevinIterationStats[] }> {
  const stats: LangevinIterationStats[] = [];
  let current = state;
  for (let t = 0; t < iterations; t++) {
    const result = await langevinStep(current, system, params, rng);
    stats.push(result.stats);
    current = result.state;
  }
  return { state: current, stats };
}

describe('the analytic test model', () => {
  it('has a VJP matching central differences of upstream·e', () => {
    const model = new AnalyticModel(W, H, D, 1);
    const w = randomArray(W, 2, 2);
    const g = randomArray(D, 3, 2);
    const { hidden } = model.forward(w);
    const analytic = model.backward(hidden, g);
    const h = 1e-6;
    const numeric = new Float64Array(W);
    for (let d = 0; d < W; d++) {
      const plus = Float64Array.from(w);
      const minus = Float64Array.from(w);
      plus[d] += h;
      minus[d] -= h;
      const dot = (x: Float64Array) => model.forward(x).embedding.reduce((s, e, k) => s + e * g[k]!, 0);
      numeric[d] = (dot(plus) - dot(minus)) / (2 * h);
    }
    expect(relativeError(analytic, numeric)).toBeLessThan(1e-7);
  });
});

describe('langevinStep against a per-identity reference', () => {
  const gallery = randomArray(5 * D, 41, 2);

  it.each([
    ['adaptive dt, η = 0', { timestep: -0.3, randomForce: 0 }, false],
    ['fixed dt, η = 0', { timestep: 0.05, randomForce: 0 }, false],
    ['adaptive dt, η > 0, exclusion gallery', { timestep: -0.3, randomForce: 0.05, exclusionDistance: 1.2 }, true],
    ['fixed dt, η > 0', { timestep: 0.02, randomForce: 0.05 }, false],
  ] as const)('%s: several iterations agree to 1e-3', async (_label, overrides, withGallery) => {
    const params = langevinParams({ ...overrides, batchSize: 5 });
    const model = new AnalyticModel(W, H, D, 1);
    const rng = new CounterRng(1234n);
    const start = startState(9);
    const system: LangevinSystem = {
      model,
      latentAverage,
      exclusionGallery: withGallery ? unitRows(gallery, 5, D) : null,
    };
    const iterations = 6;
    const reference = await referenceRun(
      model,
      start.latents,
      params,
      iterations,
      withGallery ? gallery : null,
      5,
      rng,
    );
    const engine = await engineRun(system, start, params, iterations, rng);
    expect(engine.state.iteration).toBe(iterations);
    expect(relativeError(engine.state.latents, reference.latents)).toBeLessThan(1e-3);
    expect(
      relativeError(
        engine.stats.map((s) => s.dt),
        reference.dts,
      ),
    ).toBeLessThan(1e-3);
    expect(
      relativeError(
        engine.stats.map((s) => s.embeddingDistance.min),
        reference.minEmbeddingDistances,
      ),
    ).toBeLessThan(1e-3);
    // The dynamics must have had something to do: pairs within d0 and latents that moved.
    expect(engine.stats[0]!.embeddingDistance.min).toBeLessThan(params.repulsionRadius);
    expect(relativeError(engine.state.latents, start.latents)).toBeGreaterThan(1e-2);
  });
});

describe('langevinStep', () => {
  const params = langevinParams({ randomForce: 0.05, batchSize: 4 });

  it('does one batched VJP pass per iteration, in chunks of batchSize', async () => {
    const model = new AnalyticModel(W, H, D, 1);
    await langevinStep(startState(3), { model, latentAverage, exclusionGallery: null }, params, new CounterRng(1n));
    expect(model.vjpCounts).toEqual([4, 4, 4]);
    expect(model.embedCalls).toBe(3);
  });

  it('gives bit-identical latents and statistics whatever the batch size', async () => {
    const runs = [];
    for (const batchSize of [1, 5, 12, 64]) {
      const model = new AnalyticModel(W, H, D, 1);
      const system = { model, latentAverage, exclusionGallery: null };
      runs.push(await engineRun(system, startState(4), { ...params, batchSize }, 4, new CounterRng(55n)));
    }
    for (const run of runs.slice(1)) {
      expect(Array.from(run.state.latents)).toEqual(Array.from(runs[0]!.state.latents));
      expect(run.stats).toEqual(runs[0]!.stats);
    }
  });

  it('reports the forces it applies: with η > 0 the update is (dt/μ)·T + (√dt/μ)·R', async () => {
    const model = new AnalyticModel(W, H, D, 1);
    const rng = new CounterRng(8n);
    const state = startState(6);
    const { state: next, stats } = await langevinStep(
      state,
      { model, latentAverage, exclusionGallery: null },
      params,
      rng,
    );
    // The step itself, against the independent per-identity loop.
    const reference = await referenceRun(model, state.latents, params, 1, null, 0, rng);
    expect(relativeError(next.latents, reference.latents)).toBeLessThan(1e-5);
    // Taking (√dt/μ)·η·ξ and (dt/μ)·k_l·(w_avg − w) off each identity's move leaves (dt/μ) times
    // the interaction force, whose norms the statistics report.
    const dt = stats.dt!;
    const mu = params.viscosity;
    const interactionNorms: number[] = [];
    const noise = new Float64Array(W);
    let minNorm = Infinity;
    let maxNorm = 0;
    for (let i = 0; i < N; i++) {
      rng.normalRow({ stream: RandomStream.langevinForce, iteration: 0, index: i }, noise, 0, W);
      const norm = params.randomForce * Math.hypot(...noise);
      minNorm = Math.min(minNorm, norm);
      maxNorm = Math.max(maxNorm, norm);
    }
    expect(stats.randomForce.min).toBeCloseTo(minNorm, 12);
    expect(stats.randomForce.max).toBeCloseTo(maxNorm, 12);
    let latentMax = 0;
    for (let i = 0; i < N; i++) {
      latentMax = Math.max(
        latentMax,
        params.latentForce *
          Math.hypot(...Array.from({ length: W }, (_, d) => latentAverage[d]! - state.latents[i * W + d]!)),
      );
    }
    expect(stats.latentForce.max).toBeCloseTo(latentMax, 6);
    for (let i = 0; i < N; i++) {
      rng.normalRow({ stream: RandomStream.langevinForce, iteration: 0, index: i }, noise, 0, W);
      const interaction = Array.from({ length: W }, (_, d) => {
        const w = state.latents[i * W + d]!;
        const move = next.latents[i * W + d]! - w;
        const rest = move - (Math.sqrt(dt) / mu) * params.randomForce * noise[d]!;
        return rest / (dt / mu) - params.latentForce * (latentAverage[d]! - w);
      });
      interactionNorms.push(Math.hypot(...interaction));
    }
    expect(stats.interactionForce.min).toBeCloseTo(Math.min(...interactionNorms), 3);
    expect(stats.interactionForce.max).toBeCloseTo(Math.max(...interactionNorms), 3);
    expect(stats.interactionForce.max).toBeGreaterThan(0.01);
    expect(stats.propIct).toBeGreaterThanOrEqual(0);
    expect(stats.propIct).toBeLessThanOrEqual(1);
    expect(stats.dt).toBeGreaterThan(0);
  });

  it('reports the same state statistics before a step as langevinStateStats', async () => {
    const model = new AnalyticModel(W, H, D, 1);
    const system: LangevinSystem = { model, latentAverage, exclusionGallery: unitRows(randomArray(3 * D, 8, 2), 3, D) };
    const state = startState(12);
    const { stats } = await langevinStep(state, system, params, new CounterRng(3n));
    const before = await langevinStateStats(state, system, params);
    expect(before).toEqual({
      embeddingDistance: stats.embeddingDistance,
      propIct: stats.propIct,
      latentDistance: stats.latentDistance,
      meanDistanceToAverage: stats.meanDistanceToAverage,
      exclusion: stats.exclusion,
    });
  });

  it('pushes identities out of the exclusion radius of a gallery', async () => {
    const model = new AnalyticModel(W, H, D, 1);
    const start = startState(21);
    // The gallery sits close to four of the identities' starting embeddings.
    const nearby = start.latents.slice(0, 4 * W).map((x, k) => x + 0.05 * Math.sin(k));
    const system: LangevinSystem = {
      model,
      latentAverage,
      exclusionGallery: unitRows(await model.embed(nearby, 4), 4, D),
    };
    // Identities ignore each other here (tiny d0), so only the gallery moves them.
    const exclusionParams = langevinParams({
      exclusionDistance: 0.5,
      repulsionRadius: 0.01,
      randomForce: 0,
      latentForce: 0.01,
    });
    const run = await engineRun(system, start, exclusionParams, 30, new CounterRng(2n));
    expect(run.stats[0]!.exclusion!.identitiesWithin).toBeGreaterThanOrEqual(4);
    expect(run.stats[0]!.exclusion!.minDistance).toBeLessThan(0.1);
    const after = await langevinStateStats(run.state, system, exclusionParams);
    expect(after.exclusion!.identitiesWithin).toBe(0);
    expect(after.exclusion!.minDistance).toBeGreaterThan(0.5);
  });

  it('refuses states and parameters it cannot step', async () => {
    const model = new AnalyticModel(W, H, D, 1);
    const system = { model, latentAverage, exclusionGallery: null };
    const lonely = { count: 1, latentDim: W, latents: new Float32Array(W), iteration: 0 };
    await expect(langevinStep(lonely, system, params, new CounterRng(1n))).rejects.toThrow(/at least 2/);
    await expect(langevinStep(startState(1), system, { ...params, viscosity: 0 }, new CounterRng(1n))).rejects.toThrow(
      /viscosity/,
    );
  });
});

describe('validateLangevinParams', () => {
  it('accepts the paper defaults', () => {
    expect(validateLangevinParams(langevinParams())).toEqual([]);
    expect(langevinParams()).toMatchObject({
      ict: 1.4,
      iterations: 100,
      repulsionCoefficient: 1,
      repulsionRadius: 1.4,
      timestep: -0.3,
      viscosity: 1,
      randomForce: 0.01,
      latentForce: 0.1,
      truncationPsi: 0.7,
    });
  });

  it('names every field that is out of range', () => {
    const problems = validateLangevinParams(
      langevinParams({
        repulsionRadius: 0,
        timestep: 0,
        iterations: 2.5,
        viscosity: -1,
        ict: 4,
        batchSize: Number.NaN,
      }),
    );
    expect(problems).toEqual([
      { field: 'iterations', message: 'must be an integer ≥ 0' },
      { field: 'ict', message: 'must be ≤ π' },
      { field: 'repulsionRadius', message: 'must be > 0' },
      { field: 'timestep', message: 'must not be 0' },
      { field: 'viscosity', message: 'must be > 0' },
      { field: 'batchSize', message: 'must be a finite number' },
    ]);
  });
});

describe('initialLatents', () => {
  const noiseDim = 5;
  // A linear stand-in for the mapping network, z (noiseDim) → w (W).
  const mappingMatrix = randomArray(W * noiseDim, 31, 2);
  const mapping = async (z: Float32Array, count: number) => {
    const out = new Float32Array(count * W);
    for (let i = 0; i < count; i++) {
      for (let d = 0; d < W; d++) {
        let sum = 0;
        for (let c = 0; c < noiseDim; c++) sum += mappingMatrix[d * noiseDim + c]! * z[i * noiseDim + c]!;
        out[i * W + d] = sum;
      }
    }
    return out;
  };

  it('is w_avg + ψ(M(z) − w_avg) with z addressed by identity, whatever the batch size', async () => {
    const rng = new CounterRng(17n);
    const options = { count: 7, noiseDim, latentAverage, truncationPsi: 0.7, mapping, rng };
    const one = await initialLatents({ ...options, batchSize: 1 });
    const three = await initialLatents({ ...options, batchSize: 3 });
    expect(Array.from(three)).toEqual(Array.from(one));
    const z = new Float32Array(noiseDim);
    rng.normalRow({ stream: RandomStream.initialLatent, iteration: 0, index: 4 }, z, 0, noiseDim);
    const mapped = await mapping(z, 1);
    for (let d = 0; d < W; d++) {
      expect(one[4 * W + d]).toBeCloseTo(latentAverage[d]! + 0.7 * (mapped[d]! - latentAverage[d]!), 5);
    }
  });
});
