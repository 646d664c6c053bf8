/**
 * Langevin identity diffusion (docs/algorithms.md, "Langevin"): N latents repel each other in
 * embedding space, are pulled towards w_avg, and take random kicks.
 */
import type { EmbeddingModel } from '../engine/EmbeddingModel.js';
import { pairwiseEngine } from '../pairwise/engine.js';
import { engineLangevinPairs } from '../pairwise/langevinPairs.js';
import { unitRows, type UnitRows } from './angular.js';
import { embedAll, vjpAll } from './batchedModel.js';
import { assertValidLangevinParams, type LangevinParams } from '../../../../src/core/runs/langevinParams.js';
import type { LangevinPairs } from './langevinPairs.js';
import { meanDistanceTo } from './latentStats.js';
import type { ExclusionStats } from './repulsion.js';
import { RandomStream, type CounterRng } from './rng.js';
import { ForceNorms, SpreadAccumulator, type Spread } from './spread.js';
import { stepSize } from './timestep.js';

export interface LangevinState {
  count: number;
  latentDim: number;
  /** count × latentDim */
  latents: Float32Array;
  /** Iterations done so far; the next step is iteration `iteration`. */
  iteration: number;
}

/** What stays fixed during a run. */
export interface LangevinSystem {
  model: EmbeddingModel;
  /** w_avg of the model pack, latentDim values. */
  latentAverage: Float32Array;
  /** Real embeddings identities must keep c0 away from; null for none. */
  exclusionGallery: UnitRows | null;
  /** The pairwise kernels; by default the engine's on the model's execution provider. */
  pairs?: LangevinPairs;
}

export interface LangevinStateStats {
  /** Angular distance between embeddings over pairs i < j. */
  embeddingDistance: Spread;
  /** Share of embedding pairs with d > ICT. */
  propIct: number;
  /** Euclidean distance between latents over pairs i < j. */
  latentDistance: Spread;
  meanDistanceToAverage: number;
  exclusion: ExclusionStats | null;
}

export interface LangevinIterationStats extends LangevinStateStats {
  iteration: number;
  interactionForce: Spread;
  latentForce: Spread;
  randomForce: Spread;
  totalForce: Spread;
  dt: number;
}

export interface LangevinStepResult {
  state: LangevinState;
  stats: LangevinIterationStats;
}

/** The pack's mapping network M: z (count × noiseDim) to w (count × latentDim). */
export type LatentMapping = (z: Float32Array, count: number) => Promise<Float32Array>;

export interface InitialLatentOptions {
  count: number;
  /** Dimension of z. */
  noiseDim: number;
  latentAverage: Float32Array;
  truncationPsi: number;
  batchSize: number;
  mapping: LatentMapping;
  rng: CounterRng;
}

/** w_i = w_avg + ψ(M(z_i) − w_avg) with z_i ~ N(0, I) addressed by identity index. */
export async function initialLatents(options: InitialLatentOptions): Promise<Float32Array> {
  const { count, noiseDim, latentAverage, truncationPsi, batchSize, mapping, rng } = options;
  const latentDim = latentAverage.length;
  const latents = new Float32Array(count * latentDim);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const z = new Float32Array(n * noiseDim);
    for (let i = 0; i < n; i++) {
      rng.normalRow({ stream: RandomStream.initialLatent, iteration: 0, index: start + i }, z, i * noiseDim, noiseDim);
    }
    const mapped = await mapping(z, n);
    if (mapped.length !== n * latentDim) {
      throw new RangeError(`mapping returned ${mapped.length} values for ${n} latents of dimension ${latentDim}`);
    }
    for (let i = 0; i < n; i++) {
      const out = (start + i) * latentDim;
      for (let d = 0; d < latentDim; d++) {
        const average = latentAverage[d]!;
        latents[out + d] = average + truncationPsi * (mapped[i * latentDim + d]! - average);
      }
    }
  }
  return latents;
}

function checkState(state: LangevinState, system: LangevinSystem): void {
  const { count, latentDim, latents, iteration } = state;
  if (!Number.isInteger(count) || count < 2) throw new RangeError(`Langevin needs at least 2 identities, got ${count}`);
  if (latentDim !== system.model.latentDim) {
    throw new RangeError(`state latents have dimension ${latentDim}, the model ${system.model.latentDim}`);
  }
  if (latents.length !== count * latentDim) {
    throw new RangeError(`expected ${count} × ${latentDim} latents, got ${latents.length} values`);
  }
  if (system.latentAverage.length !== latentDim) {
    throw new RangeError(`w_avg has ${system.latentAverage.length} values, latents ${latentDim}`);
  }
  if (!Number.isInteger(iteration) || iteration < 0) throw new RangeError(`invalid iteration ${iteration}`);
}

interface LatentSummary {
  distances: SpreadAccumulator;
  meanDistanceToAverage: number;
}

async function latentSummary(
  state: LangevinState,
  latentAverage: Float32Array,
  pairs: LangevinPairs,
): Promise<LatentSummary> {
  return {
    distances: await pairs.latentDistances(state.latents, state.count, state.latentDim),
    meanDistanceToAverage: meanDistanceTo(state.latents, state.count, state.latentDim, latentAverage),
  };
}

async function pairsOf(system: LangevinSystem): Promise<LangevinPairs> {
  return system.pairs ?? engineLangevinPairs(await pairwiseEngine(system.model.executionProvider));
}

/**
 * One iteration: embeddings of all identities, ∂U_i/∂e_i for every i at once (others fixed),
 * the interaction forces F_i = −J_iᵀ ∂U_i/∂e_i from one batched VJP pass, then
 * w_i ← w_i + (dt/μ)·T_i + (√dt/μ)·R_i. The statistics describe the state before the update.
 */
export async function langevinStep(
  state: LangevinState,
  system: LangevinSystem,
  params: LangevinParams,
  rng: CounterRng,
): Promise<LangevinStepResult> {
  assertValidLangevinParams(params);
  checkState(state, system);
  const { count, latentDim, latents, iteration } = state;
  const { model, latentAverage } = system;

  const pairs = await pairsOf(system);
  const embeddings = await embedAll(model, latents, count, params.batchSize);
  const e = unitRows(embeddings, count, model.embeddingDim);
  const repulsion = await pairs.repulsion(
    e,
    { coefficient: params.repulsionCoefficient, radius: params.repulsionRadius },
    params.ict,
  );
  const embeddingGradient = repulsion.gradient;
  let exclusion: ExclusionStats | null = null;
  if (system.exclusionGallery !== null) {
    const excluded = await pairs.exclusion(e, system.exclusionGallery, {
      coefficient: params.repulsionCoefficient,
      radius: params.exclusionDistance,
    });
    for (let k = 0; k < embeddingGradient.length; k++) embeddingGradient[k] += excluded.gradient[k]!;
    exclusion = excluded.stats;
  }
  const { latentGradient } = await vjpAll(
    model,
    latents,
    Float32Array.from(embeddingGradient),
    count,
    params.batchSize,
  );

  const total = new Float64Array(count * latentDim);
  const random = new Float64Array(count * latentDim);
  const norms = new ForceNorms();
  for (let i = 0; i < count; i++) {
    const base = i * latentDim;
    rng.normalRow({ stream: RandomStream.langevinForce, iteration, index: i }, random, base, latentDim);
    let interactionSq = 0;
    let latentSq = 0;
    let randomSq = 0;
    let totalSq = 0;
    for (let d = 0; d < latentDim; d++) {
      const interaction = -latentGradient[base + d]!;
      const pull = params.latentForce * (latentAverage[d]! - latents[base + d]!);
      const kick = params.randomForce * random[base + d]!;
      const sum = interaction + pull;
      random[base + d] = kick;
      total[base + d] = sum;
      interactionSq += interaction * interaction;
      latentSq += pull * pull;
      randomSq += kick * kick;
      totalSq += sum * sum;
    }
    norms.add(interactionSq, latentSq, randomSq, totalSq);
  }

  const latentStats = await latentSummary(state, latentAverage, pairs);
  const dt = stepSize(params.timestep, params.viscosity, latentStats.distances.min, norms.maxTotal);
  const drift = dt / params.viscosity;
  const diffusion = Math.sqrt(dt) / params.viscosity;
  const next = new Float32Array(count * latentDim);
  for (let k = 0; k < next.length; k++) next[k] = latents[k]! + drift * total[k]! + diffusion * random[k]!;

  return {
    state: { count, latentDim, latents: next, iteration: iteration + 1 },
    stats: {
      iteration,
      embeddingDistance: repulsion.stats.distance,
      propIct: repulsion.stats.propIct,
      latentDistance: latentStats.distances.spread(),
      meanDistanceToAverage: latentStats.meanDistanceToAverage,
      exclusion,
      ...norms.spreads(),
      dt,
    },
  };
}

/** The statistics of a state without stepping it, as recorded once more after the last step. */
export async function langevinStateStats(
  state: LangevinState,
  system: LangevinSystem,
  params: LangevinParams,
  /** The state's embeddings, when the caller already computed them (count × embeddingDim). */
  knownEmbeddings?: Float32Array,
): Promise<LangevinStateStats> {
  assertValidLangevinParams(params);
  checkState(state, system);
  const { model, latentAverage } = system;
  const pairs = await pairsOf(system);
  const embeddings = knownEmbeddings ?? (await embedAll(model, state.latents, state.count, params.batchSize));
  const e = unitRows(embeddings, state.count, model.embeddingDim);
  const distances = await pairs.distanceStats(e, params.ict);
  const exclusion =
    system.exclusionGallery === null
      ? null
      : (
          await pairs.exclusion(e, system.exclusionGallery, {
            coefficient: params.repulsionCoefficient,
            radius: params.exclusionDistance,
          })
        ).stats;
  const latentStats = await latentSummary(state, latentAverage, pairs);
  return {
    embeddingDistance: distances.distance,
    propIct: distances.propIct,
    latentDistance: latentStats.distances.spread(),
    meanDistanceToAverage: latentStats.meanDistanceToAverage,
    exclusion,
  };
}
