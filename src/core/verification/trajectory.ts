import type { PrismaClient } from '../db/client.js';
import { RunKind } from '../../generated/prisma/enums.js';
import { parseKeptCheckpointKey, runPrefix } from '../store/keys.js';

/** A checkpoint a run kept, with the digest the object store's ledger recorded when it was written. */
export interface KeptCheckpoint {
  key: string;
  /** The shard of a Dispersion or DisCo run; null for a Langevin run's own checkpoints. */
  shardIndex: number | null;
  iteration: number;
  sha256: string;
}

/**
 * One stretch of a trajectory a verification can re-run on its own: from the seed (`from` 0, no
 * key) or a kept checkpoint, to the next kept checkpoint or, at the last iteration, the run's stored
 * outputs (`to` = the run's iterations, no key).
 */
export interface TrajectorySegment {
  shardIndex: number | null;
  from: number;
  to: number;
  start: KeptCheckpoint | null;
  end: KeptCheckpoint | null;
}

/** A run's kept checkpoints, from the ledger (the database is the record; the store may have lost or altered one). */
export async function keptCheckpoints(prisma: PrismaClient, runId: string): Promise<KeptCheckpoint[]> {
  const rows = await prisma.storedObject.findMany({
    where: { key: { startsWith: runPrefix(runId) } },
    select: { key: true, sha256: true },
  });
  const kept: KeptCheckpoint[] = [];
  for (const row of rows) {
    const parsed = parseKeptCheckpointKey(row.key);
    if (parsed) kept.push({ key: row.key, sha256: row.sha256, ...parsed });
  }
  return kept.sort((a, b) => (a.shardIndex ?? -1) - (b.shardIndex ?? -1) || a.iteration - b.iteration);
}

/**
 * Every segment of a run's trajectory: for each track (the run itself, or each of its shards), seed
 * → first checkpoint → … → last checkpoint → the final iteration. A run from before checkpoints were
 * kept, or one too short to checkpoint, has one segment per track, from the seed to the end.
 */
export function trajectorySegments(
  tracks: Array<number | null>,
  checkpoints: KeptCheckpoint[],
  totalIterations: number,
): TrajectorySegment[] {
  const segments: TrajectorySegment[] = [];
  for (const shardIndex of tracks) {
    const own = checkpoints.filter(
      (c) => c.shardIndex === shardIndex && c.iteration > 0 && c.iteration < totalIterations,
    );
    let start: KeptCheckpoint | null = null;
    for (const end of [...own, null]) {
      segments.push({ shardIndex, from: start?.iteration ?? 0, to: end?.iteration ?? totalIterations, start, end });
      start = end;
    }
  }
  return segments;
}

/**
 * `count` segments spread evenly over the list, the last one always among them: it ends at the
 * stored outputs, so a verification of a single segment still ties the trajectory to them.
 */
export function chooseSegments(segments: TrajectorySegment[], count: number): TrajectorySegment[] {
  const total = segments.length;
  if (count >= total) return segments;
  if (count <= 0) return [];
  if (count === 1) return [segments[total - 1]!];
  const positions = new Set(Array.from({ length: count }, (_, i) => Math.round((i * (total - 1)) / (count - 1))));
  return segments.filter((_, position) => positions.has(position));
}

/** Every segment of a run's trajectory, in order: its own track for a Langevin run, each shard's for the others. */
export async function runTrajectory(
  prisma: PrismaClient,
  run: { id: string; kind: RunKind; totalIterations: number },
): Promise<TrajectorySegment[]> {
  let tracks: Array<number | null> = [null];
  if (run.kind !== RunKind.LANGEVIN) {
    const shards = await prisma.runShard.findMany({ where: { runId: run.id }, select: { index: true } });
    tracks = shards.map((shard) => shard.index).sort((a, b) => a - b);
  }
  return trajectorySegments(tracks, await keptCheckpoints(prisma, run.id), run.totalIterations);
}
