/**
 * Dispersion (and DisCo) variations (docs/algorithms.md, "Dispersion"): A latents per identity start
 * around the reference latent, are pulled back towards the reference embedding, repel each other
 * in latent space, are pulled towards w_avg and take random kicks. Identities never interact, so
 * each identity's time step is its own and its random numbers are addressed by its global index:
 * an identity's variations do not depend on which other identities share its job.
 */
import type { EmbeddingModel } from '../engine/EmbeddingModel.js';
import { pairwiseEngine, type PairwiseEngine } from '../pairwise/engine.js';
import { latentRepulsion } from '../pairwise/latentDistances.js';
import { variationAngles } from '../pairwise/variationAngles.js';
import { addAngularGradient, angularDistanceFromCosine, unitRows, type UnitRows } from './angular.js';
import { embedAll, vjpAll } from './batchedModel.js';
import { assertValidDispersionParams, type DispersionParams } from '../../../../src/core/runs/dispersionParams.js';
import { meanDistanceTo } from './latentStats.js';
import { RandomStream, type CounterRng } from './rng.js';
import { ForceNorms, SpreadAccumulator, type Spread } from './spread.js';
import { stepSize } from './timestep.js';

export interface DispersionState {
  identityCount: number;
  variations: number;
  latentDim: number;
  /** Global index of each identity in its run, addressing its random numbers. */
  identityIndices: Uint32Array;
  /** w_ref, identityCount × latentDim */
  references: Float32Array;
  /** e_ref, identityCount × embeddingDim */
  referenceEmbeddings: Float32Array;
  /** (identityCount · variations) × latentDim, identity-major. */
  latents: Float32Array;
  /** Iterations done so far. */
  iteration: number;
}

export interface DispersionSystem {
  model: EmbeddingModel;
  /** w_avg of the model pack */
  latentAverage: Float32Array;
}

/** DisCo's covariate directions v_d (pose, illumination, expressions) with their scales s_d. */
export interface CovariateDirections {
  count: number;
  /** count × latentDim */
  directions: Float32Array;
  scales: Float32Array;
}

export interface DispersionStartOptions {
  references: Float32Array;
  identityIndices: Uint32Array;
  system: DispersionSystem;
  params: DispersionParams;
  rng: CounterRng;
  /** Given: DisCo; null: plain Dispersion. */
  covariates: CovariateDirections | null;
}

export interface DispersionStateStats {
  /** Angular distance between variations of the same identity, over pairs a < b. */
  embeddingDistance: Spread;
  /** Angular distance of each variation to its reference embedding. */
  distanceToReference: Spread;
  /** Euclidean distance between variations of the same identity, over pairs a < b. */
  latentDistance: Spread;
  meanDistanceToAverage: number;
}

export interface DispersionIterationStats extends DispersionStateStats {
  iteration: number;
  /** The embedding pull −∂/∂w_a of ½·Σ_a ½·k_e·d(e_a, e_ref)². */
  interactionForce: Spread;
  /** Latent repulsion plus pull towards w_avg, as the reference implementation reports it. */
  latentForce: Spread;
  randomForce: Spread;
  totalForce: Spread;
  /** Time steps over identities (all equal when the time step is fixed). */
  dt: Spread;
}

export interface DispersionStepResult {
  state: DispersionState;
  stats: DispersionIterationStats;
}

function checkCovariates(covariates: CovariateDirections, latentDim: number): void {
  if (covariates.directions.length !== covariates.count * latentDim || covariates.scales.length !== covariates.count) {
    throw new RangeError(
      `covariates: expected ${covariates.count} directions of dimension ${latentDim} and as many scales`,
    );
  }
}

/**
 * w_a = w_ref + σ·N(0, I), plus Σ_d u_d·s_d·v_d with u_d ~ U(−0.5, 0.5) for DisCo; e_ref is the
 * model's embedding of w_ref.
 */
export async function initialDispersionState(options: DispersionStartOptions): Promise<DispersionState> {
  const { references, identityIndices, system, params, rng, covariates } = options;
  assertValidDispersionParams(params);
  const latentDim = system.model.latentDim;
  const identityCount = identityIndices.length;
  const variations = params.variations;
  if (references.length !== identityCount * latentDim) {
    throw new RangeError(`expected ${identityCount} × ${latentDim} reference latents, got ${references.length} values`);
  }
  if (covariates !== null) checkCovariates(covariates, latentDim);
  const latents = new Float32Array(identityCount * variations * latentDim);
  const noise = new Float64Array(latentDim);
  const weights = new Float64Array(covariates?.count ?? 0);
  for (let i = 0; i < identityCount; i++) {
    const index = identityIndices[i]!;
    for (let a = 0; a < variations; a++) {
      rng.normalRow({ stream: RandomStream.dispersionNoise, iteration: 0, index, subindex: a }, noise, 0, latentDim);
      for (let d = 0; d < latentDim; d++) noise[d] = references[i * latentDim + d]! + params.initialNoise * noise[d]!;
      if (covariates !== null) {
        rng.centredUniformRow(
          { stream: RandomStream.discoWeights, iteration: 0, index, subindex: a },
          weights,
          0,
          covariates.count,
        );
        for (let c = 0; c < covariates.count; c++) {
          const weight = weights[c]! * covariates.scales[c]!;
          for (let d = 0; d < latentDim; d++) noise[d] += weight * covariates.directions[c * latentDim + d]!;
        }
      }
      latents.set(noise, (i * variations + a) * latentDim);
    }
  }
  const referenceEmbeddings = await embedAll(system.model, references, identityCount, params.batchSize);
  return {
    identityCount,
    variations,
    latentDim,
    identityIndices,
    references,
    referenceEmbeddings,
    latents,
    iteration: 0,
  };
}

function checkState(state: DispersionState, system: DispersionSystem, params: DispersionParams): void {
  const { identityCount, variations, latentDim } = state;
  const { model } = system;
  const problems: string[] = [];
  if (variations !== params.variations)
    problems.push(`${variations} variations per identity, parameters ${params.variations}`);
  if (latentDim !== model.latentDim) problems.push(`latent dimension ${latentDim}, the model's ${model.latentDim}`);
  if (system.latentAverage.length !== latentDim) problems.push(`w_avg of ${system.latentAverage.length} values`);
  if (state.identityIndices.length !== identityCount) problems.push('not one identity index per identity');
  if (state.latents.length !== identityCount * variations * latentDim) problems.push('latents of the wrong size');
  if (state.references.length !== identityCount * latentDim) problems.push('reference latents of the wrong size');
  if (state.referenceEmbeddings.length !== identityCount * model.embeddingDim)
    problems.push('reference embeddings of the wrong size');
  if (problems.length > 0) throw new RangeError(`Dispersion state does not fit: ${problems.join('; ')}`);
}

interface EmbeddingSpreads {
  pairs: SpreadAccumulator;
  toReference: SpreadAccumulator;
}

/**
 * Angular statistics within each identity and, when `pull` is given, adds
 * ∂/∂e_a of ½·Σ_a ½·k_e·d(e_a, e_ref)² = ½·k_e·d·∂d/∂e_a into `pull.upstream`.
 */
async function embeddingPass(
  engine: PairwiseEngine,
  state: DispersionState,
  e: UnitRows,
  references: UnitRows,
  pull: { coefficient: number; upstream: Float64Array } | null,
): Promise<EmbeddingSpreads> {
  const { identityCount, variations } = state;
  const dim = e.dim;
  const pairs = new SpreadAccumulator();
  const toReference = new SpreadAccumulator();
  for (let i = 0; i < identityCount; i++) {
    const first = i * variations;
    const angles = await variationAngles(engine, e, first, variations, references, i);
    pairs.merge(angles.pairs);
    for (let a = 0; a < variations; a++) {
      const row = first + a;
      const cosine = angles.cosineToReference[a]!;
      const distance = angularDistanceFromCosine(cosine);
      toReference.add(distance);
      if (pull !== null)
        addAngularGradient(pull.upstream, row * dim, 0.5 * pull.coefficient * distance, e, row, references, i, cosine);
    }
  }
  return { pairs, toReference };
}

/**
 * One iteration for every identity of the state: embedding pull through one batched VJP pass,
 * latent repulsion, pull towards w_avg and η·N(0, I) summed into the total force, then
 * w_a ← w_a + (dt/μ)·total. The statistics describe the state before the update.
 */
export async function dispersionStep(
  state: DispersionState,
  system: DispersionSystem,
  params: DispersionParams,
  rng: CounterRng,
): Promise<DispersionStepResult> {
  assertValidDispersionParams(params);
  checkState(state, system, params);
  const { identityCount, variations, latentDim, latents, iteration } = state;
  const { model, latentAverage } = system;
  const rows = identityCount * variations;
  const engine = await pairwiseEngine(model.executionProvider);

  const e = unitRows(await embedAll(model, latents, rows, params.batchSize), rows, model.embeddingDim);
  const references = unitRows(state.referenceEmbeddings, identityCount, model.embeddingDim);
  const upstream = new Float64Array(rows * model.embeddingDim);
  const embeddingSpreads = await embeddingPass(engine, state, e, references, {
    coefficient: params.embeddingCoefficient,
    upstream,
  });
  const { latentGradient } = await vjpAll(model, latents, Float32Array.from(upstream), rows, params.batchSize);

  const norms = new ForceNorms();
  const latentDistances = new SpreadAccumulator();
  const steps = new SpreadAccumulator();
  const next = new Float32Array(latents.length);
  const total = new Float64Array(variations * latentDim);
  const random = new Float64Array(latentDim);
  for (let i = 0; i < identityCount; i++) {
    const first = i * variations;
    const repulsion = await latentRepulsion(
      engine,
      latents,
      first,
      variations,
      latentDim,
      params.latentCoefficient,
      params.latentRadius,
    );
    latentDistances.merge(repulsion.distances);
    let maxTotal = 0;
    for (let a = 0; a < variations; a++) {
      const base = (first + a) * latentDim;
      rng.normalRow(
        { stream: RandomStream.dispersionForce, iteration, index: state.identityIndices[i]!, subindex: a },
        random,
        0,
        latentDim,
      );
      let interactionSq = 0;
      let latentSq = 0;
      let randomSq = 0;
      let totalSq = 0;
      for (let d = 0; d < latentDim; d++) {
        const interaction = -latentGradient[base + d]!;
        const latent =
          repulsion.force[a * latentDim + d]! + params.globalCoefficient * (latentAverage[d]! - latents[base + d]!);
        const kick = params.randomForce * random[d]!;
        const sum = interaction + latent + kick;
        total[a * latentDim + d] = sum;
        interactionSq += interaction * interaction;
        latentSq += latent * latent;
        randomSq += kick * kick;
        totalSq += sum * sum;
      }
      maxTotal = Math.max(maxTotal, norms.add(interactionSq, latentSq, randomSq, totalSq));
    }
    const dt = stepSize(params.timestep, params.viscosity, repulsion.distances.min, maxTotal);
    steps.add(dt);
    const drift = dt / params.viscosity;
    const base = first * latentDim;
    for (let k = 0; k < total.length; k++) next[base + k] = latents[base + k]! + drift * total[k]!;
  }

  return {
    state: { ...state, latents: next, iteration: iteration + 1 },
    stats: {
      iteration,
      embeddingDistance: embeddingSpreads.pairs.spread(),
      distanceToReference: embeddingSpreads.toReference.spread(),
      latentDistance: latentDistances.spread(),
      meanDistanceToAverage: meanDistanceTo(latents, rows, latentDim, latentAverage),
      ...norms.spreads(),
      dt: steps.spread(),
    },
  };
}

/** The statistics of a state without stepping it, as after the last iteration. */
export async function dispersionStateStats(
  state: DispersionState,
  system: DispersionSystem,
  params: DispersionParams,
): Promise<DispersionStateStats> {
  assertValidDispersionParams(params);
  checkState(state, system, params);
  const { identityCount, variations, latentDim, latents } = state;
  const { model, latentAverage } = system;
  const rows = identityCount * variations;
  const engine = await pairwiseEngine(model.executionProvider);
  const e = unitRows(await embedAll(model, latents, rows, params.batchSize), rows, model.embeddingDim);
  const references = unitRows(state.referenceEmbeddings, identityCount, model.embeddingDim);
  const embeddingSpreads = await embeddingPass(engine, state, e, references, null);
  const latentDistances = new SpreadAccumulator();
  for (let i = 0; i < identityCount; i++) {
    // Zero strength: only the distances, computed exactly as a step computes them.
    latentDistances.merge(
      (await latentRepulsion(engine, latents, i * variations, variations, latentDim, 0, 0)).distances,
    );
  }
  return {
    embeddingDistance: embeddingSpreads.pairs.spread(),
    distanceToReference: embeddingSpreads.toReference.spread(),
    latentDistance: latentDistances.spread(),
    meanDistanceToAverage: meanDistanceTo(latents, rows, latentDim, latentAverage),
  };
}
