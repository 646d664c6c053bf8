import { createHash } from 'node:crypto';
import type { JobName } from '../../../../src/core/queue/jobQueue.js';
import { float32ToBytes, bytesToFloat32 } from '../../../../src/core/db/floats.js';
import { RunStatus } from '../../../../src/generated/prisma/enums.js';
import type * as db from '../../../../src/generated/prisma/client.js';
import {
  decodeLangevinRunParameters,
  type LangevinRunParameters,
} from '../../../../src/core/runs/langevinRunParameters.js';
import { isTerminal } from '../../../../src/core/runs/runStatus.js';
import { checkpointKey, keptCheckpointKey } from '../../../../src/core/store/keys.js';
import { recordCheckpointEvent } from '../../../../src/core/lineage/outbox.js';
import { decodeIterationStats, type RunSummary } from '../../../../src/core/stats/iterationStats.js';
import { unitRows, type UnitRows } from '../diffusion/angular.js';
import { embedAll } from '../diffusion/batchedModel.js';
import { decodeCheckpoint, encodeCheckpoint } from '../diffusion/checkpoint.js';
import {
  initialLatents,
  langevinStateStats,
  langevinStep,
  type LangevinState,
  type LangevinSystem,
} from '../diffusion/langevin.js';
import { CounterRng } from '../diffusion/rng.js';
import { encodePng } from '../images/png.js';
import { RunLifecycle, type NewIdentity } from '../../../../src/core/runs/runLifecycle.js';
import type { JobHandler, JobOutcome, WorkerServices } from './JobHandler.js';
import { iterationRecord } from './iterationRecord.js';
import { RunFailure } from './RunFailure.js';
import { openRunModel, type RunModel } from './runModel.js';
import { seedFromColumn } from '../../../../src/core/db/seeds.js';
import { ObjectIntegrityError } from '../../../../src/core/store/ObjectIntegrityError.js';

/**
 * Runs (or resumes) a Langevin run: restores the last checkpoint if there is one, steps to the
 * last iteration recording statistics and checkpointing, then writes every identity at once.
 */
export const langevinJob: JobHandler<typeof JobName.langevin> = async (job, services, signal) => {
  const runId = job.data.runId;
  const lifecycle = new RunLifecycle(services.prisma, services.pool, runId);
  const run = await lifecycle.load();
  if (!run || isTerminal(run.status)) return 'completed';
  if (run.cancelRequested) {
    await lifecycle.finish(RunStatus.CANCELLED);
    return 'completed';
  }
  const pack = await services.prisma.modelPack.findUniqueOrThrow({ where: { id: run.modelPackId } });
  const parameters = decodeLangevinRunParameters(run.parameters);
  if (!(await lifecycle.markRunning(services.worker))) return 'completed';
  let model: RunModel | undefined;
  let iteration = run.iteration;
  try {
    model = await openRunModel(services, pack, parameters.langevin.batchSize, parameters.generatorInputs).catch(
      (error: Error) => {
        throw new RunFailure(`model pack ${pack.digest} could not be loaded: ${error.message}`, iteration);
      },
    );
    const system = await langevinSystem(services, run, model);
    const rng = new CounterRng(seedFromColumn(run.seed));
    let state = await startingState(services, run, parameters, model, rng);
    iteration = state.iteration;
    const log = services.log.child({ runId });
    log.info({ iteration, total: run.totalIterations, identities: state.count }, 'Langevin run starting');
    while (state.iteration < run.totalIterations) {
      if (signal.aborted) {
        await lifecycle.requeue();
        return 'released';
      }
      if (await lifecycle.cancelRequested()) {
        await lifecycle.finish(RunStatus.CANCELLED);
        return 'completed';
      }
      iteration = state.iteration;
      const step = await langevinStep(state, system, parameters.langevin, rng).catch((error: Error) => {
        throw new RunFailure(`iteration ${iteration} failed: ${error.message}`, iteration);
      });
      if (!step.state.latents.every(Number.isFinite)) {
        throw new RunFailure(
          `non-finite latents after iteration ${iteration} (forces diverged; try a smaller timestep)`,
          iteration,
        );
      }
      state = step.state;
      await lifecycle.recordIteration(iteration, state.iteration, iterationRecord(step.stats));
      log.info(
        { iteration, propIct: step.stats.propIct, minAngle: step.stats.embeddingDistance.min, dt: step.stats.dt },
        'iteration',
      );
      if (state.iteration % parameters.checkpointEvery === 0 && state.iteration < run.totalIterations) {
        await storeLangevinCheckpoint(services, runId, state, rng.seed);
        await recordCheckpointEvent(services.pool, runId, { iteration: state.iteration });
      }
    }
    iteration = state.iteration;
    const embeddings = await embedAll(model.embedding, state.latents, state.count, parameters.langevin.batchSize);
    const final = await langevinStateStats(state, system, parameters.langevin, embeddings);
    await lifecycle.recordIteration(state.iteration, state.iteration, iterationRecord(final));
    return await writeIdentities(services, lifecycle, run.id, parameters.langevin.batchSize, state, embeddings, model);
  } catch (caught) {
    // An altered object (a tampered checkpoint) stays altered: retrying would fail the same way.
    const error = caught instanceof ObjectIntegrityError ? new RunFailure(caught.message, iteration) : caught;
    if (!(error instanceof RunFailure)) throw error;
    await lifecycle.finish(RunStatus.FAILED, { error: error.message, errorIteration: error.iteration });
    return 'completed';
  } finally {
    await model?.release();
  }
};

/** What a Langevin step of this run needs besides its state: the pack's model and the exclusion gallery. */
export async function langevinSystem(services: WorkerServices, run: db.Run, model: RunModel): Promise<LangevinSystem> {
  return {
    model: model.embedding,
    latentAverage: model.latentAverage,
    exclusionGallery: await loadGallery(services, run.exclusionGalleryId),
  };
}

/**
 * A checkpoint is written twice: under its iteration, kept for verification, then copied (in the
 * store, with its digest) to the run's one resume checkpoint, overwritten at each checkpoint.
 */
async function storeLangevinCheckpoint(
  services: WorkerServices,
  runId: string,
  state: LangevinState,
  seed: bigint,
): Promise<void> {
  const bytes = encodeCheckpoint({ state, seed });
  const kept = keptCheckpointKey(runId, state.iteration);
  await services.store.putBytes(kept, bytes);
  await services.store.copy(kept, checkpointKey(runId), createHash('sha256').update(bytes).digest('hex'));
}

async function loadGallery(services: WorkerServices, galleryId: string | null): Promise<UnitRows | null> {
  if (!galleryId) return null;
  const gallery = await services.prisma.gallery.findUniqueOrThrow({ where: { id: galleryId } });
  const subjects = await services.prisma.gallerySubject.findMany({
    where: { galleryId },
    select: { embedding: true },
    orderBy: { label: 'asc' },
  });
  const rows = new Float32Array(subjects.length * gallery.embeddingDim);
  subjects.forEach((subject, i) => rows.set(bytesToFloat32(subject.embedding), i * gallery.embeddingDim));
  return unitRows(rows, subjects.length, gallery.embeddingDim);
}

/** The last checkpoint, else the user's initial latents, else latents sampled from the seed. */
async function startingState(
  services: WorkerServices,
  run: db.Run,
  parameters: LangevinRunParameters,
  model: RunModel,
  rng: CounterRng,
): Promise<LangevinState> {
  if (await services.store.exists(checkpointKey(run.id))) {
    const state = resumeLangevinState(
      await services.store.getBytes(checkpointKey(run.id)),
      run,
      parameters,
      model,
      rng,
    );
    services.log.info({ runId: run.id, iteration: state.iteration }, 'resuming from checkpoint');
    return state;
  }
  return initialLangevinState(services, parameters, model, rng);
}

/** The state a checkpoint of this run holds; a checkpoint of another run (seed or shape) is refused. */
export function resumeLangevinState(
  bytes: Uint8Array,
  run: db.Run,
  parameters: LangevinRunParameters,
  model: RunModel,
  rng: CounterRng,
): LangevinState {
  const checkpoint = decodeCheckpoint(bytes);
  const { count, latentDim } = checkpoint.state;
  if (checkpoint.seed !== rng.seed || count !== parameters.numIdentities || latentDim !== model.embedding.latentDim) {
    throw new RunFailure('checkpoint does not belong to this run', run.iteration);
  }
  return checkpoint.state;
}

/** Iteration 0: the user's initial latents, else latents sampled from the seed. */
export async function initialLangevinState(
  services: WorkerServices,
  parameters: LangevinRunParameters,
  model: RunModel,
  rng: CounterRng,
): Promise<LangevinState> {
  const count = parameters.numIdentities;
  const latentDim = model.embedding.latentDim;
  if (parameters.initialLatents) {
    const latents = bytesToFloat32(await services.store.getBytes(parameters.initialLatents));
    if (latents.length !== count * latentDim)
      throw new RunFailure(`initial latents hold ${latents.length} values, not ${count}×${latentDim}`, 0);
    return { count, latentDim, latents, iteration: 0 };
  }
  const latents = await initialLatents({
    count,
    noiseDim: model.noiseDim,
    latentAverage: model.latentAverage,
    truncationPsi: parameters.langevin.truncationPsi,
    batchSize: parameters.langevin.batchSize,
    mapping: model.mapping,
    rng,
  });
  return { count, latentDim, latents, iteration: 0 };
}

/** Images go to the store first; rows and SUCCEEDED land in one transaction, so no partial set is ever visible. */
async function writeIdentities(
  services: WorkerServices,
  lifecycle: RunLifecycle,
  runId: string,
  batchSize: number,
  state: LangevinState,
  embeddings: Float32Array,
  model: RunModel,
): Promise<JobOutcome> {
  const { count, latentDim, latents } = state;
  const embeddingDim = model.embedding.embeddingDim;
  const rows: NewIdentity[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const images = await model.render(latents.subarray(start * latentDim, (start + n) * latentDim), n);
    for (let i = 0; i < n; i++) {
      const index = start + i;
      const blob = await services.store.putContent(encodePng(images, i), 'image/png');
      rows.push({
        runId,
        index,
        latent: float32ToBytes(latents.subarray(index * latentDim, (index + 1) * latentDim)),
        embedding: float32ToBytes(embeddings.subarray(index * embeddingDim, (index + 1) * embeddingDim)),
        imageKey: blob.key,
        imageSha256: blob.sha256,
      });
    }
  }
  const iterations = await services.prisma.runIteration.findMany({
    where: { runId, iteration: { in: [0, state.iteration] } },
    orderBy: { iteration: 'asc' },
  });
  const first = iterations[0];
  const last = iterations.at(-1);
  const summary: RunSummary = {
    first: first ? decodeIterationStats(first.stats) : null,
    last: last ? decodeIterationStats(last.stats) : null,
    identities: count,
  };
  await lifecycle.succeedWithIdentities(rows, summary);
  // The run is complete without it; a checkpoint left behind only costs storage.
  await services.store.remove(checkpointKey(runId)).catch(() => undefined);
  return 'completed';
}
