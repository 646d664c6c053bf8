import { createHash } from 'node:crypto';
import type pg from 'pg';
import { bytesToFloat32, float32ToBytes } from '../../../../src/core/db/floats.js';
import type * as db from '../../../../src/generated/prisma/client.js';
import type { JobName } from '../../../../src/core/queue/jobQueue.js';
import {
  CovariateSource,
  decodeDispersionRunParameters,
  type DispersionRunParameters,
} from '../../../../src/core/runs/dispersionRunParameters.js';
import { isTerminal } from '../../../../src/core/runs/runStatus.js';
import { keptShardCheckpointKey, shardCheckpointKey } from '../../../../src/core/store/keys.js';
import { recordCheckpointEvent } from '../../../../src/core/lineage/outbox.js';
import { embedAll } from '../diffusion/batchedModel.js';
import { decodeCheckpoint, encodeCheckpoint } from '../diffusion/checkpoint.js';
import {
  dispersionStateStats,
  dispersionStep,
  initialDispersionState,
  type CovariateDirections,
  type DispersionState,
  type DispersionSystem,
} from '../diffusion/dispersion.js';
import { principalDirections } from '../diffusion/principalDirections.js';
import { CounterRng, RandomStream } from '../diffusion/rng.js';
import { verificationSummary } from '../diffusion/verification.js';
import { encodePng } from '../images/png.js';
import { ShardLifecycle, type NewSample } from '../../../../src/core/runs/shardLifecycle.js';
import type { JobHandler, WorkerServices } from './JobHandler.js';
import { RunFailure } from './RunFailure.js';
import { openRunModel, type RunModel } from './runModel.js';
import { shardStatsRecord } from './shardStatsRecord.js';
import { seedFromColumn } from '../../../../src/core/db/seeds.js';
import { ObjectIntegrityError } from '../../../../src/core/store/ObjectIntegrityError.js';

interface References {
  identityIds: string[];
  latents: Float32Array;
}

/**
 * Runs (or resumes) one shard of a Dispersion or DisCo run: its identities' variations from the
 * start (or the shard's last checkpoint) to the last iteration, then every sample of the shard at
 * once. Random numbers are addressed by (seed, identity index in the parent run, variation,
 * iteration), so how identities are spread over shards and workers never changes a sample.
 */
export const dispersionShardJob: JobHandler<typeof JobName.dispersion> = async (job, services, signal) => {
  const { runId, shardId } = job.data;
  const lifecycle = new ShardLifecycle(services.prisma, services.pool, runId, shardId);
  const loaded = await lifecycle.load();
  if (!loaded) return 'completed';
  const { run, shard } = loaded;
  if (isTerminal(shard.status)) return 'completed';
  if (isTerminal(run.status) || run.cancelRequested) {
    await lifecycle.cancel();
    return 'completed';
  }
  const parameters = decodeDispersionRunParameters(run.parameters);
  const params = parameters.dispersion;
  const pack = await services.prisma.modelPack.findUniqueOrThrow({ where: { id: run.modelPackId } });
  await lifecycle.markRunning(services.worker);
  const log = services.log.child({ runId, shard: shard.index });
  let model: RunModel | undefined;
  let iteration = shard.iteration;
  try {
    model = await openRunModel(services, pack, params.batchSize, parameters.generatorInputs).catch((error: Error) => {
      throw new RunFailure(`model pack ${pack.digest} could not be loaded: ${error.message}`, iteration);
    });
    const setup = await shardSetup(services, run, shard, parameters, model);
    const { system, references, covariates } = setup;
    const rng = new CounterRng(seedFromColumn(run.seed));
    let state = await startingState(services, run, shard, parameters, setup, rng);
    iteration = state.iteration;
    log.info({ iteration, total: run.totalIterations, identities: state.identityCount }, 'Dispersion shard starting');
    while (state.iteration < run.totalIterations) {
      if (signal.aborted) {
        await lifecycle.requeue();
        return 'released';
      }
      const current = await lifecycle.runState();
      if (isTerminal(current.status) || current.cancelRequested) {
        await lifecycle.cancel();
        return 'completed';
      }
      iteration = state.iteration;
      const step = await dispersionStep(state, system, params, rng).catch((error: Error) => {
        throw new RunFailure(`iteration ${iteration} failed: ${error.message}`, iteration);
      });
      if (!step.state.latents.every(Number.isFinite)) {
        throw new RunFailure(
          `non-finite latents after iteration ${iteration} (forces diverged; try a smaller timestep)`,
          iteration,
        );
      }
      state = step.state;
      await lifecycle.recordIteration(
        iteration,
        state.iteration,
        shardStatsRecord(step.stats, state.identityCount, state.variations),
      );
      log.info({ iteration, distanceToReference: step.stats.distanceToReference.avg }, 'iteration');
      if (state.iteration % parameters.checkpointEvery === 0 && state.iteration < run.totalIterations) {
        await storeShardCheckpoint(services, runId, shard.index, state, rng.seed);
        await recordCheckpointEvent(services.pool, runId, { iteration: state.iteration, shard: shard.index });
      }
    }
    iteration = state.iteration;
    const final = await dispersionStateStats(state, system, params);
    await lifecycle.recordIteration(
      state.iteration,
      state.iteration,
      shardStatsRecord(final, state.identityCount, state.variations),
    );
    const samples = await renderSamples(
      services,
      run,
      shard,
      state,
      references,
      covariates,
      model,
      rng,
      params.batchSize,
    );
    const { runSucceeded } = await lifecycle.succeed(samples, (client) => summarize(client, run, parameters));
    if (runSucceeded) log.info('Dispersion run succeeded');
    // The shard is complete without it; a checkpoint left behind only costs storage.
    await services.store.remove(shardCheckpointKey(runId, shard.index)).catch(() => undefined);
    return 'completed';
  } catch (caught) {
    // An altered object (a tampered checkpoint) stays altered: retrying would fail the same way.
    const error = caught instanceof ObjectIntegrityError ? new RunFailure(caught.message, iteration) : caught;
    if (!(error instanceof RunFailure)) throw error;
    await lifecycle.fail(error.message, error.iteration);
    return 'completed';
  } finally {
    await model?.release();
  }
};

/** What a shard's steps need besides its state, the same for the job and for a verification re-running it. */
export interface ShardSetup {
  system: DispersionSystem;
  references: References;
  covariates: CovariateDirections | null;
}

export async function shardSetup(
  services: WorkerServices,
  run: db.Run,
  shard: db.RunShard,
  parameters: DispersionRunParameters,
  model: RunModel,
): Promise<ShardSetup> {
  return {
    system: { model: model.embedding, latentAverage: model.latentAverage },
    references: await loadReferences(services, run, shard),
    covariates: await covariateDirections(parameters, model),
  };
}

/** Kept under its iteration for verification, then copied to the shard's one resume checkpoint (as Langevin's). */
async function storeShardCheckpoint(
  services: WorkerServices,
  runId: string,
  shardIndex: number,
  state: DispersionState,
  seed: bigint,
): Promise<void> {
  const bytes = encodeCheckpoint({ state: checkpointState(state), seed });
  const kept = keptShardCheckpointKey(runId, shardIndex, state.iteration);
  await services.store.putBytes(kept, bytes);
  await services.store.copy(
    kept,
    shardCheckpointKey(runId, shardIndex),
    createHash('sha256').update(bytes).digest('hex'),
  );
}

/** The parent run's identities of this shard, in the shard's order. */
async function loadReferences(services: WorkerServices, run: db.Run, shard: db.RunShard): Promise<References> {
  const rows = await services.prisma.identity.findMany({
    where: { runId: run.parentRunId!, index: { in: shard.identityIndices } },
    select: { id: true, index: true, latent: true },
  });
  const byIndex = new Map(rows.map((row) => [row.index, row]));
  const identityIds: string[] = [];
  const latents: Float32Array[] = [];
  for (const index of shard.identityIndices) {
    const row = byIndex.get(index);
    if (!row) throw new RunFailure(`identity ${index} of run ${run.parentRunId} is missing`, 0);
    identityIds.push(row.id);
    latents.push(bytesToFloat32(row.latent));
  }
  const dim = latents[0]?.length ?? 0;
  const all = new Float32Array(latents.length * dim);
  latents.forEach((latent, i) => all.set(latent, i * dim));
  return { identityIds, latents: all };
}

async function covariateDirections(
  parameters: DispersionRunParameters,
  model: RunModel,
): Promise<CovariateDirections | null> {
  const covariates = parameters.covariates;
  if (!covariates) return null;
  const dim = model.latentAverage.length;
  if (covariates.source === CovariateSource.principalDirections) {
    return principalDirections({
      count: covariates.names.length,
      samples: covariates.principalSamples ?? 4096,
      noiseDim: model.noiseDim,
      latentAverage: model.latentAverage,
      mapping: model.mapping,
      batchSize: parameters.dispersion.batchSize,
    });
  }
  const byName = new Map(model.covariates.map((covariate) => [covariate.name, covariate]));
  const directions = new Float32Array(covariates.names.length * dim);
  const scales = new Float32Array(covariates.names.length);
  covariates.names.forEach((name, c) => {
    const covariate = byName.get(name);
    if (!covariate) throw new RunFailure(`the model pack has no covariate direction "${name}"`, 0);
    directions.set(covariate.direction, c * dim);
    scales[c] = covariate.scale;
  });
  return { count: covariates.names.length, directions, scales };
}

/** A shard checkpoint holds its latents as rows of a Langevin-format checkpoint: latents and iteration are the whole state. */
export function checkpointState(state: DispersionState) {
  return {
    count: state.identityCount * state.variations,
    latentDim: state.latentDim,
    latents: state.latents,
    iteration: state.iteration,
  };
}

/**
 * The shard's last checkpoint, else the user's initial latents, else w_ref + σ·N(0, I) (+ DisCo's
 * covariate offsets). References and their embeddings are always computed afresh the same way.
 */
async function startingState(
  services: WorkerServices,
  run: db.Run,
  shard: db.RunShard,
  parameters: DispersionRunParameters,
  setup: ShardSetup,
  rng: CounterRng,
): Promise<DispersionState> {
  const key = shardCheckpointKey(run.id, shard.index);
  if (await services.store.exists(key)) {
    const bytes = await services.store.getBytes(key);
    const state = resumeShardState(bytes, await seedState(shard, parameters, setup, rng), run, shard);
    services.log.info(
      { runId: run.id, shard: shard.index, iteration: state.iteration },
      'resuming shard from checkpoint',
    );
    return state;
  }
  return initialShardState(services, shard, parameters, setup, rng);
}

/** w_ref + σ·N(0, I) (+ DisCo's covariate offsets): the references and their embeddings every state carries. */
function seedState(
  shard: db.RunShard,
  parameters: DispersionRunParameters,
  setup: ShardSetup,
  rng: CounterRng,
): Promise<DispersionState> {
  return initialDispersionState({
    references: setup.references.latents,
    identityIndices: Uint32Array.from(shard.identityIndices),
    system: setup.system,
    params: parameters.dispersion,
    rng,
    covariates: setup.covariates,
  });
}

/** The state a checkpoint of this shard holds, on `initial`'s references; another shard's checkpoint is refused. */
export function resumeShardState(
  bytes: Uint8Array,
  initial: DispersionState,
  run: db.Run,
  shard: db.RunShard,
): DispersionState {
  const checkpoint = decodeCheckpoint(bytes);
  const expected = checkpointState(initial);
  if (
    checkpoint.seed !== seedFromColumn(run.seed) ||
    checkpoint.state.count !== expected.count ||
    checkpoint.state.latentDim !== expected.latentDim
  ) {
    throw new RunFailure('checkpoint does not belong to this shard', shard.iteration);
  }
  return { ...initial, latents: checkpoint.state.latents, iteration: checkpoint.state.iteration };
}

/** Iteration 0: the user's initial latents for this shard, else the seed's. */
export async function initialShardState(
  services: WorkerServices,
  shard: db.RunShard,
  parameters: DispersionRunParameters,
  setup: ShardSetup,
  rng: CounterRng,
): Promise<DispersionState> {
  const initial = await seedState(shard, parameters, setup, rng);
  if (parameters.initialLatents) {
    const { variations, latentDim } = initial;
    const first = parameters.identityIndices.indexOf(shard.identityIndices[0]!);
    const rowBytes = variations * latentDim * 4;
    const all = await services.store.getBytes(parameters.initialLatents);
    const latents = bytesToFloat32(all.subarray(first * rowBytes, (first + shard.identityIndices.length) * rowBytes));
    if (latents.length !== initial.latents.length) throw new RunFailure('initial latents do not cover this shard', 0);
    return { ...initial, latents };
  }
  return initial;
}

/** Embeddings and PNG images of the final variations; DisCo samples carry u_d·s_d of their start. */
async function renderSamples(
  services: WorkerServices,
  run: db.Run,
  shard: db.RunShard,
  state: DispersionState,
  references: References,
  covariates: CovariateDirections | null,
  model: RunModel,
  rng: CounterRng,
  batchSize: number,
): Promise<NewSample[]> {
  const { identityCount, variations, latentDim, latents } = state;
  const rows = identityCount * variations;
  const embeddings = await embedAll(model.embedding, latents, rows, batchSize);
  const embeddingDim = model.embedding.embeddingDim;
  const weights = new Float64Array(covariates?.count ?? 0);
  const samples: NewSample[] = [];
  for (let start = 0; start < rows; start += batchSize) {
    const n = Math.min(batchSize, rows - start);
    const images = await model.render(latents.subarray(start * latentDim, (start + n) * latentDim), n);
    for (let k = 0; k < n; k++) {
      const row = start + k;
      const i = Math.floor(row / variations);
      const variation = row % variations;
      const blob = await services.store.putContent(encodePng(images, k), 'image/png');
      let coefficients: number[] = [];
      if (covariates) {
        rng.centredUniformRow(
          { stream: RandomStream.discoWeights, iteration: 0, index: shard.identityIndices[i]!, subindex: variation },
          weights,
          0,
          covariates.count,
        );
        coefficients = Array.from(weights, (u, c) => u * covariates.scales[c]!);
      }
      samples.push({
        identityId: references.identityIds[i]!,
        runId: run.id,
        shardId: shard.id,
        label: shard.identityIndices[i]!,
        variation,
        latent: float32ToBytes(latents.subarray(row * latentDim, (row + 1) * latentDim)),
        embedding: float32ToBytes(embeddings.subarray(row * embeddingDim, (row + 1) * embeddingDim)),
        imageKey: blob.key,
        imageSha256: blob.sha256,
        covariateCoefficients: coefficients,
      });
    }
  }
  return samples;
}

/**
 * The run's summary once every shard is in: statistics at the first and last iteration, and how
 * well the generated set verifies (equal error rate over intra- and inter-identity sample pairs).
 */
async function summarize(client: pg.PoolClient, run: db.Run, parameters: DispersionRunParameters): Promise<object> {
  const iterations = await client.query<{ iteration: number; stats: object }>(
    `SELECT iteration, stats FROM "RunIteration" WHERE "runId" = $1 AND iteration IN (0, $2) ORDER BY iteration`,
    [run.id, run.totalIterations],
  );
  const samples = await client.query<{ label: number; embedding: Buffer }>(
    `SELECT label, embedding FROM "Sample" WHERE "runId" = $1 ORDER BY label, variation`,
    [run.id],
  );
  const references = await client.query<{ index: number; embedding: Buffer }>(
    `SELECT index, embedding FROM "Identity" WHERE "runId" = $1 AND index = ANY($2::int[]) ORDER BY index`,
    [run.parentRunId, parameters.identityIndices],
  );
  const identities = references.rows.length;
  const variations = parameters.dispersion.variations;
  const summary: Record<string, unknown> = {
    first: iterations.rows[0]?.stats ?? null,
    last: iterations.rows.at(-1)?.stats ?? null,
    identities,
    samples: samples.rows.length,
    covariates: parameters.covariates,
  };
  if (identities >= 2 && samples.rows.length === identities * variations) {
    const dim = bytesToFloat32(references.rows[0]!.embedding).length;
    const sampleEmbeddings = new Float32Array(samples.rows.length * dim);
    samples.rows.forEach((row, k) => sampleEmbeddings.set(bytesToFloat32(row.embedding), k * dim));
    const referenceEmbeddings = new Float32Array(identities * dim);
    references.rows.forEach((row, k) => referenceEmbeddings.set(bytesToFloat32(row.embedding), k * dim));
    Object.assign(summary, verificationSummary(sampleEmbeddings, referenceEmbeddings, identities, variations, dim));
  }
  return summary;
}
