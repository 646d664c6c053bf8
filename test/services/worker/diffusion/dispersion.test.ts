import { describe, expect, it } from 'vitest';
import { COSINE_SCALE } from '../../../../services/worker/src/diffusion/angular.js';
import {
  dispersionStateStats,
  dispersionStep,
  initialDispersionState,
  type CovariateDirections,
  type DispersionState,
  type DispersionSystem,
} from '../../../../services/worker/src/diffusion/dispersion.js';
import {
  dispersionParams,
  validateDispersionParams,
  type DispersionParams,
} from '../../../../src/core/runs/dispersionParams.js';
import { CounterRng, RandomStream } from '../../../../services/worker/src/diffusion/rng.js';
import { AnalyticModel, randomArray, relativeError } from './analyticModel.js';
import { latentRepulsionPotential } from './latentRepulsionReference.js';

const W = 8;
const H = 16;
const D = 6;
const I = 3;
const A = 6;

const latentAverage = Float32Array.from(randomArray(W, 70, 0.4));
const references = Float32Array.from(randomArray(I * W, 71, 2));
const identityIndices = new Uint32Array([5, 9, 2]);
const covariates: CovariateDirections = {
  count: 3,
  directions: Float32Array.from(randomArray(3 * W, 72, 1)),
  scales: new Float32Array([0.8, 0.5, 1.2]),
};

/** The latent repulsion potential of one identity's variations. */
function latentPotential(w: Float64Array, params: DispersionParams): number {
  return latentRepulsionPotential(w, A, W, params.latentCoefficient, params.latentRadius);
}

/**
 * The reference's loop, written independently: one embedding and one VJP per variation, the
 * latent repulsion force from central differences of its potential, one identity at a time.
 */
async function referenceRun(
  model: AnalyticModel,
  params: DispersionParams,
  iterations: number,
  rng: CounterRng,
  withCovariates: boolean,
): Promise<{ latents: Float32Array; dts: number[][] }> {
  const latents = new Float32Array(I * A * W);
  const dts: number[][] = [];
  const referenceEmbeddings: Float32Array[] = [];
  for (let i = 0; i < I; i++) {
    referenceEmbeddings.push(await model.embed(references.slice(i * W, (i + 1) * W), 1));
    for (let a = 0; a < A; a++) {
      const noise = new Float64Array(W);
      rng.normalRow(
        { stream: RandomStream.dispersionNoise, iteration: 0, index: identityIndices[i]!, subindex: a },
        noise,
        0,
        W,
      );
      const u = new Float64Array(covariates.count);
      rng.centredUniformRow(
        { stream: RandomStream.discoWeights, iteration: 0, index: identityIndices[i]!, subindex: a },
        u,
        0,
        u.length,
      );
      for (let d = 0; d < W; d++) {
        let value = references[i * W + d]! + params.initialNoise * noise[d]!;
        for (let c = 0; c < covariates.count && withCovariates; c++) {
          value += u[c]! * covariates.scales[c]! * covariates.directions[c * W + d]!;
        }
        latents[(i * A + a) * W + d] = value;
      }
    }
  }
  for (let t = 0; t < iterations; t++) {
    const stepDts: number[] = [];
    for (let i = 0; i < I; i++) {
      const own = Float64Array.from(latents.subarray(i * A * W, (i + 1) * A * W));
      const total: number[][] = [];
      for (let a = 0; a < A; a++) {
        const wa = latents.slice((i * A + a) * W, (i * A + a + 1) * W);
        const ea = await model.embed(wa, 1);
        const er = referenceEmbeddings[i]!;
        let dot = 0;
        let na = 0;
        let nr = 0;
        for (let d = 0; d < D; d++) {
          dot += ea[d]! * er[d]!;
          na += ea[d]! ** 2;
          nr += er[d]! ** 2;
        }
        const s = dot / Math.sqrt(na * nr);
        const dist = Math.acos(COSINE_SCALE * s);
        const dDistDs = -COSINE_SCALE / Math.sqrt(1 - (COSINE_SCALE * s) ** 2);
        const upstream = new Float32Array(D);
        for (let d = 0; d < D; d++) {
          upstream[d] =
            0.5 * params.embeddingCoefficient * dist * dDistDs * (er[d]! / Math.sqrt(na * nr) - (s * ea[d]!) / na);
        }
        const { latentGradient } = await model.vjp(wa, upstream, 1);
        const noise = new Float64Array(W);
        rng.normalRow(
          { stream: RandomStream.dispersionForce, iteration: t, index: identityIndices[i]!, subindex: a },
          noise,
          0,
          W,
        );
        const row: number[] = [];
        for (let d = 0; d < W; d++) {
          const h = 1e-5;
          const plus = Float64Array.from(own);
          const minus = Float64Array.from(own);
          plus[a * W + d] += h;
          minus[a * W + d] -= h;
          const repulsion = -(latentPotential(plus, params) - latentPotential(minus, params)) / (2 * h);
          row.push(
            -latentGradient[d]! +
              repulsion +
              params.globalCoefficient * (latentAverage[d]! - wa[d]!) +
              params.randomForce * noise[d]!,
          );
        }
        total.push(row);
      }
      let dt = params.timestep;
      if (params.timestep < 0) {
        let minDistance = Infinity;
        for (let a = 0; a < A; a++) {
          for (let b = a + 1; b < A; b++) {
            let sum = 0;
            for (let d = 0; d < W; d++) sum += (own[a * W + d]! - own[b * W + d]!) ** 2;
            minDistance = Math.min(minDistance, Math.sqrt(sum));
          }
        }
        dt = (-params.timestep * params.viscosity * minDistance) / Math.max(...total.map((row) => Math.hypot(...row)));
      }
      stepDts.push(dt);
      for (let a = 0; a < A; a++) {
        for (let d = 0; d < W; d++)
          latents[(i * A + a) * W + d] = own[a * W + d]! + (dt / params.viscosity) * total[a]![d]!;
      }
    }
    dts.push(stepDts);
  }
  return { latents, dts };
}

async function engineRun(
  system: DispersionSystem,
  params: DispersionParams,
  iterations: number,
  rng: CounterRng,
  withCovariates: boolean,
) {
  let state = await initialDispersionState({
    references,
    identityIndices,
    system,
    params,
    rng,
    covariates: withCovariates ? covariates : null,
  });
  const stats = [];
  for (let t = 0; t < iterations; t++) {
    const result = await dispersionStep(state, system, params, rng);
    stats.push(result.stats);
    state = result.state;
  }
  return { state, stats };
}

describe('dispersionStep against a per-variation reference', () => {
  it.each([
    ['fixed dt, η = 0', { timestep: 0.05, randomForce: 0 }, false],
    ['adaptive dt, η = 0', { timestep: -0.2, randomForce: 0 }, false],
    ['fixed dt, η > 0, DisCo initialisation', { timestep: 0.05, randomForce: 0.05 }, true],
    ['adaptive dt, η > 0', { timestep: -0.2, randomForce: 0.05 }, false],
  ] as const)('%s: several iterations agree to 1e-3', async (_label, overrides, withCovariates) => {
    // r0 comparable to the spread of the variations, so the repulsion is partly active.
    const params = dispersionParams({
      ...overrides,
      variations: A,
      latentRadius: 1.0,
      initialNoise: 0.3,
      batchSize: 4,
    });
    const model = new AnalyticModel(W, H, D, 1);
    const rng = new CounterRng(987n);
    const iterations = 5;
    const reference = await referenceRun(model, params, iterations, rng, withCovariates);
    const engine = await engineRun({ model, latentAverage }, params, iterations, rng, withCovariates);
    expect(engine.state.iteration).toBe(iterations);
    expect(relativeError(engine.state.latents, reference.latents)).toBeLessThan(1e-3);
    for (let t = 0; t < iterations; t++) {
      expect(engine.stats[t]!.dt.min).toBeCloseTo(Math.min(...reference.dts[t]!), 6);
      expect(engine.stats[t]!.dt.max).toBeCloseTo(Math.max(...reference.dts[t]!), 6);
    }
    expect(engine.stats[0]!.latentDistance.min).toBeLessThan(params.latentRadius);
    expect(engine.stats[0]!.latentDistance.max).toBeGreaterThan(params.latentRadius);
  });
});

describe('dispersionStep', () => {
  const params = dispersionParams({ variations: A, randomForce: 0.05, timestep: -0.2, latentRadius: 1, batchSize: 5 });

  it('treats identities independently: each alone gives the same bits as all together', async () => {
    const model = new AnalyticModel(W, H, D, 1);
    const system = { model, latentAverage };
    const together = await engineRun(system, params, 3, new CounterRng(4n), true);
    for (let i = 0; i < I; i++) {
      let alone: DispersionState = await initialDispersionState({
        references: references.slice(i * W, (i + 1) * W),
        identityIndices: identityIndices.slice(i, i + 1),
        system,
        params,
        rng: new CounterRng(4n),
        covariates,
      });
      for (let t = 0; t < 3; t++) alone = (await dispersionStep(alone, system, params, new CounterRng(4n))).state;
      expect(Array.from(alone.latents)).toEqual(
        Array.from(together.state.latents.subarray(i * A * W, (i + 1) * A * W)),
      );
    }
    expect(together.stats[0]!.dt.min).toBeLessThan(together.stats[0]!.dt.max);
  });

  it('does one batched VJP pass per iteration over all variations', async () => {
    const model = new AnalyticModel(W, H, D, 1);
    await engineRun({ model, latentAverage }, params, 1, new CounterRng(1n), false);
    expect(model.vjpCounts).toEqual([5, 5, 5, 3]);
  });

  it('pulls variations back towards the reference embedding', async () => {
    const model = new AnalyticModel(W, H, D, 1);
    const system = { model, latentAverage };
    const pullOnly = dispersionParams({
      variations: A,
      randomForce: 0,
      latentCoefficient: 0,
      globalCoefficient: 0,
      initialNoise: 0.6,
      timestep: 0.05,
    });
    const run = await engineRun(system, pullOnly, 20, new CounterRng(6n), false);
    const after = await dispersionStateStats(run.state, system, pullOnly);
    expect(after.distanceToReference.avg).toBeLessThan(0.5 * run.stats[0]!.distanceToReference.avg);
  });

  it('reports the same state statistics before a step as dispersionStateStats', async () => {
    const model = new AnalyticModel(W, H, D, 1);
    const system = { model, latentAverage };
    const state = await initialDispersionState({
      references,
      identityIndices,
      system,
      params,
      rng: new CounterRng(2n),
      covariates: null,
    });
    const { stats } = await dispersionStep(state, system, params, new CounterRng(2n));
    expect(await dispersionStateStats(state, system, params)).toEqual({
      embeddingDistance: stats.embeddingDistance,
      distanceToReference: stats.distanceToReference,
      latentDistance: stats.latentDistance,
      meanDistanceToAverage: stats.meanDistanceToAverage,
    });
  });
});

describe('dispersionStep on a state that does not fit', () => {
  it('names what does not fit', async () => {
    const model = new AnalyticModel(W, H, D, 1);
    const system = { model, latentAverage };
    const params = dispersionParams({ variations: A });
    const state = await initialDispersionState({
      references,
      identityIndices,
      system,
      params,
      rng: new CounterRng(1n),
      covariates: null,
    });
    await expect(dispersionStep(state, system, { ...params, variations: A + 1 }, new CounterRng(1n))).rejects.toThrow(
      /6 variations per identity, parameters 7/,
    );
    await expect(
      dispersionStep({ ...state, latents: state.latents.subarray(W) }, system, params, new CounterRng(1n)),
    ).rejects.toThrow(/latents of the wrong size/);
  });
});

describe('initialDispersionState', () => {
  it('is w_ref + σ·N(0, I), plus Σ_d u_d·s_d·v_d for DisCo', async () => {
    const model = new AnalyticModel(W, H, D, 1);
    const params = dispersionParams({ variations: A });
    const rng = new CounterRng(31n);
    const start = { references, identityIndices, system: { model, latentAverage }, params, rng };
    const plain = await initialDispersionState({ ...start, covariates: null });
    const disco = await initialDispersionState({ ...start, covariates });
    const noise = new Float64Array(W);
    const u = new Float64Array(3);
    rng.normalRow({ stream: RandomStream.dispersionNoise, iteration: 0, index: 9, subindex: 4 }, noise, 0, W);
    rng.centredUniformRow({ stream: RandomStream.discoWeights, iteration: 0, index: 9, subindex: 4 }, u, 0, 3);
    const row = (1 * A + 4) * W;
    for (let d = 0; d < W; d++) {
      const base = references[W + d]! + 0.2 * noise[d]!;
      expect(plain.latents[row + d]).toBeCloseTo(base, 5);
      const shift = u.reduce((sum, ud, c) => sum + ud * covariates.scales[c]! * covariates.directions[c * W + d]!, 0);
      expect(disco.latents[row + d]).toBeCloseTo(base + shift, 5);
    }
    expect(Array.from(plain.referenceEmbeddings.subarray(D, 2 * D))).toEqual(
      Array.from(await model.embed(references.slice(W, 2 * W), 1)),
    );
  });
});

describe('validateDispersionParams', () => {
  it('accepts the paper defaults', () => {
    expect(validateDispersionParams(dispersionParams())).toEqual([]);
    expect(dispersionParams()).toMatchObject({
      iterations: 20,
      variations: 64,
      embeddingCoefficient: 20,
      latentCoefficient: 1,
      latentRadius: 12,
      globalCoefficient: 1,
      randomForce: 0.05,
      viscosity: 1,
      timestep: 0.05,
      initialNoise: 0.2,
    });
  });

  it('names every field that is out of range', () => {
    expect(validateDispersionParams(dispersionParams({ variations: 1, latentRadius: -2, initialNoise: -0.1 }))).toEqual(
      [
        { field: 'variations', message: 'must be an integer ≥ 2' },
        { field: 'latentRadius', message: 'must be > 0' },
        { field: 'initialNoise', message: 'must be ≥ 0' },
      ],
    );
  });
});
