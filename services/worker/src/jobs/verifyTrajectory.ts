import { createHash } from 'node:crypto';
import { float32ToBytes } from '../../../../src/core/db/floats.js';
import { seedFromColumn } from '../../../../src/core/db/seeds.js';
import { decodeDispersionRunParameters } from '../../../../src/core/runs/dispersionRunParameters.js';
import { decodeLangevinRunParameters } from '../../../../src/core/runs/langevinRunParameters.js';
import { ObjectIntegrityError } from '../../../../src/core/store/ObjectIntegrityError.js';
import { CheckedObject, type ObjectCheck } from '../../../../src/core/verification/objectCheck.js';
import { type KeptCheckpoint, type TrajectorySegment } from '../../../../src/core/verification/trajectory.js';
import { RunKind } from '../../../../src/generated/prisma/enums.js';
import type * as db from '../../../../src/generated/prisma/client.js';
import { encodeCheckpoint } from '../diffusion/checkpoint.js';
import { dispersionStep, type DispersionState } from '../diffusion/dispersion.js';
import { langevinStep, type LangevinState } from '../diffusion/langevin.js';
import { CounterRng } from '../diffusion/rng.js';
import { checkpointState, initialShardState, resumeShardState, shardSetup } from './dispersionShardJob.js';
import type { WorkerServices } from './JobHandler.js';
import { initialLangevinState, langevinSystem, resumeLangevinState } from './langevinJob.js';
import type { RunModel } from './runModel.js';

/** What a trajectory's final latents are compared with: the stored rows, in the order the track holds them. */
interface StoredRow {
  id: string;
  latent: Uint8Array;
}

/**
 * One independently re-runnable trajectory: a Langevin run, or one shard of a Dispersion or DisCo
 * run. Its functions are the generation jobs' own (start, resume from a checkpoint, step, checkpoint
 * bytes), so a re-run is bit for bit what the job did.
 */
interface Track {
  label: string;
  start(): Promise<Cursor>;
  resume(bytes: Uint8Array): Promise<Cursor>;
  storedRows(): Promise<StoredRow[]>;
}

/** A state of a track, whatever its kind: where it is, and how to go one iteration further. */
interface Cursor {
  iteration: number;
  latents: Float32Array;
  step(): Promise<Cursor>;
  checkpointBytes(): Uint8Array;
}

function cursor<S extends { iteration: number; latents: Float32Array }>(
  state: S,
  step: (state: S) => Promise<S>,
  checkpointBytes: (state: S) => Uint8Array,
): Cursor {
  return {
    iteration: state.iteration,
    latents: state.latents,
    step: async () => cursor(await step(state), step, checkpointBytes),
    checkpointBytes: () => checkpointBytes(state),
  };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function concat(rows: Uint8Array[]): Uint8Array {
  return Buffer.concat(rows.map((row) => Buffer.from(row.buffer, row.byteOffset, row.byteLength)));
}

/** A run's tracks by shard (null: the Langevin run itself). */
async function tracksOf(
  services: WorkerServices,
  run: db.Run,
  model: RunModel,
  shardIndices: Array<number | null>,
): Promise<Map<number | null, Track>> {
  const tracks = new Map<number | null, Track>();
  const rng = new CounterRng(seedFromColumn(run.seed));
  if (run.kind === RunKind.LANGEVIN) {
    const parameters = decodeLangevinRunParameters(run.parameters);
    const system = await langevinSystem(services, run, model);
    const step = async (state: LangevinState) => (await langevinStep(state, system, parameters.langevin, rng)).state;
    const bytes = (state: LangevinState) => encodeCheckpoint({ state, seed: rng.seed });
    tracks.set(null, {
      label: `run ${run.id}`,
      start: async () => cursor(await initialLangevinState(services, parameters, model, rng), step, bytes),
      resume: async (checkpoint) => cursor(resumeLangevinState(checkpoint, run, parameters, model, rng), step, bytes),
      storedRows: () =>
        services.prisma.identity.findMany({
          where: { runId: run.id },
          orderBy: { index: 'asc' },
          select: { id: true, latent: true },
        }),
    });
    return tracks;
  }
  const parameters = decodeDispersionRunParameters(run.parameters);
  const shards = await services.prisma.runShard.findMany({
    where: { runId: run.id, index: { in: shardIndices.filter((index) => index !== null) } },
  });
  for (const shard of shards) {
    const setup = await shardSetup(services, run, shard, parameters, model);
    const step = async (state: DispersionState) =>
      (await dispersionStep(state, setup.system, parameters.dispersion, rng)).state;
    const bytes = (state: DispersionState) => encodeCheckpoint({ state: checkpointState(state), seed: rng.seed });
    const initial = () => initialShardState(services, shard, parameters, setup, rng);
    tracks.set(shard.index, {
      label: `shard ${shard.index} of run ${run.id}`,
      start: async () => cursor(await initial(), step, bytes),
      resume: async (checkpoint) => cursor(resumeShardState(checkpoint, await initial(), run, shard), step, bytes),
      async storedRows() {
        const samples = await services.prisma.sample.findMany({
          where: { shardId: shard.id },
          select: { id: true, latent: true, label: true, variation: true },
        });
        const byRow = new Map(samples.map((s) => [`${s.label}:${s.variation}`, s]));
        const rows: StoredRow[] = [];
        for (const label of shard.identityIndices) {
          for (let variation = 0; variation < parameters.dispersion.variations; variation++) {
            const sample = byRow.get(`${label}:${variation}`);
            rows.push(
              sample ?? {
                id: `(missing sample ${label}:${variation} of shard ${shard.index})`,
                latent: new Uint8Array(),
              },
            );
          }
        }
        return rows;
      },
    });
  }
  return tracks;
}

function segmentName(segment: TrajectorySegment, track: Track): string {
  return `iterations ${segment.from}→${segment.to} of ${track.label}`;
}

/** The stored checkpoint's bytes against the digest the ledger recorded when the job wrote it. */
async function readCheckpoint(
  services: WorkerServices,
  runId: string,
  checkpoint: KeptCheckpoint,
): Promise<{ bytes: Uint8Array | null; check: ObjectCheck }> {
  const base = {
    subjectId: runId,
    object: CheckedObject.CHECKPOINT,
    location: checkpoint.key,
    expectedSha256: checkpoint.sha256,
  };
  try {
    const bytes = await services.store.getBytes(checkpoint.key);
    return { bytes, check: { ...base, actualSha256: checkpoint.sha256, matches: true, problem: null } };
  } catch (error) {
    const actual = error instanceof ObjectIntegrityError ? error.actualSha256 : null;
    if (!(error instanceof ObjectIntegrityError) && (await services.store.exists(checkpoint.key))) throw error;
    const what = actual ? `has sha256 ${actual}, recorded ${checkpoint.sha256}` : 'is missing from the object store';
    return {
      bytes: null,
      check: { ...base, actualSha256: actual, matches: false, problem: `checkpoint ${checkpoint.key} ${what}` },
    };
  }
}

/**
 * Re-runs one segment from its start (the seed, or the stored checkpoint) and compares where it
 * ends: with the kept checkpoint's recorded digest, or, at the last iteration, with the stored
 * latents of the track's outputs, naming the outputs that differ.
 */
async function replaySegment(
  services: WorkerServices,
  runId: string,
  track: Track,
  segment: TrajectorySegment,
  start: Uint8Array | null,
  signal: AbortSignal,
): Promise<ObjectCheck> {
  const name = segmentName(segment, track);
  const base = { subjectId: runId, object: CheckedObject.TRAJECTORY, location: name };
  let expected = segment.end?.sha256;
  let stored: StoredRow[] = [];
  if (!segment.end) {
    stored = await track.storedRows();
    expected = sha256(concat(stored.map((row) => row.latent)));
  }
  if (segment.start && !start) {
    return {
      ...base,
      expectedSha256: expected!,
      actualSha256: null,
      matches: false,
      problem: `${name} not re-run: its starting checkpoint ${segment.start.key} could not be read as recorded`,
    };
  }
  let state = start ? await track.resume(start) : await track.start();
  while (state.iteration < segment.to) {
    if (signal.aborted) throw new TrajectoryInterrupted();
    state = await state.step();
  }
  if (segment.end) {
    const actual = sha256(state.checkpointBytes());
    return {
      ...base,
      expectedSha256: expected!,
      actualSha256: actual,
      matches: actual === expected,
      problem:
        actual === expected
          ? null
          : `${name} re-run gives a checkpoint with sha256 ${actual}; ${segment.end.key} was recorded as ${expected}`,
    };
  }
  const rederived = Buffer.from(float32ToBytes(state.latents));
  const actual = sha256(rederived);
  if (actual === expected)
    return { ...base, expectedSha256: expected, actualSha256: actual, matches: true, problem: null };
  const rowBytes = rederived.length / Math.max(1, stored.length);
  const differing = stored.filter(
    (row, i) => !rederived.subarray(i * rowBytes, (i + 1) * rowBytes).equals(Buffer.from(row.latent)),
  );
  const named = differing
    .slice(0, 5)
    .map((row) => row.id)
    .join(', ');
  const more = differing.length > 5 ? ` and ${differing.length - 5} more` : '';
  return {
    ...base,
    expectedSha256: expected!,
    actualSha256: actual,
    matches: false,
    problem: `${name} re-run ends at latents that differ from the stored latents of ${named}${more}`,
  };
}

export class TrajectoryInterrupted extends Error {}

/**
 * Checks `segments` of a run's trajectory (see chooseSegments): every kept checkpoint a segment
 * starts or ends at is read back against its recorded digest, and each segment is re-run from its
 * start. `onSegment` is called after each re-run segment.
 */
export async function checkTrajectory(
  services: WorkerServices,
  run: db.Run,
  model: RunModel,
  segments: TrajectorySegment[],
  signal: AbortSignal,
  onSegment: () => Promise<void>,
): Promise<ObjectCheck[]> {
  const tracks = await tracksOf(services, run, model, [...new Set(segments.map((s) => s.shardIndex))]);
  const checks: ObjectCheck[] = [];
  const checked = new Set<string>();
  // Only the checkpoint read last is held (a run's can be tens of MB): the next segment of its track starts there.
  let held: { key: string; bytes: Uint8Array | null } | undefined;
  const read = async (checkpoint: KeptCheckpoint): Promise<Uint8Array | null> => {
    if (held?.key === checkpoint.key) return held.bytes;
    const { bytes, check } = await readCheckpoint(services, run.id, checkpoint);
    if (!checked.has(checkpoint.key)) checks.push(check);
    checked.add(checkpoint.key);
    held = { key: checkpoint.key, bytes };
    return bytes;
  };
  for (const segment of segments) {
    const start = segment.start ? await read(segment.start) : null;
    if (segment.end) await read(segment.end);
    const track = tracks.get(segment.shardIndex);
    if (!track) throw new Error(`run ${run.id} has no shard ${segment.shardIndex}`);
    checks.push(await replaySegment(services, run.id, track, segment, start, signal));
    await onSegment();
  }
  return checks;
}
