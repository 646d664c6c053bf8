import type pg from 'pg';
import type { RunId } from '../ids/ids.js';
import type { RunStatus } from '../../generated/prisma/enums.js';
import type * as db from '../../generated/prisma/client.js';
import type { IterationStatsRecord } from '../stats/iterationStats.js';

/** One Postgres channel carries every run event, so any API process hears any worker. */
export const runEventChannel = 'brownian_run_events';

export interface RunStatusEvent {
  type: 'status';
  runId: RunId;
  status: RunStatus;
  iteration: number;
  totalIterations: number;
  error: string | null;
}

export interface RunIterationEvent {
  type: 'iteration';
  runId: RunId;
  status: RunStatus;
  iteration: number;
  totalIterations: number;
  /** The iteration's statistics as stored in RunIteration.stats. */
  stats: IterationStatsRecord;
}

/** A shard of a Dispersion or DisCo run moved: one per shard and iteration, and when it succeeds. */
export interface RunShardEvent {
  type: 'shard';
  runId: RunId;
  status: RunStatus;
  /** Iterations every shard has completed. */
  iteration: number;
  totalIterations: number;
  shardIndex: number;
  shardIteration: number;
  shardStatus: RunStatus;
  /** On a shard's success: samples of the run written so far, and shards done of all. */
  samplesDone?: number;
  shardsSucceeded?: number;
  shardCount?: number;
}

export type RunEvent = RunStatusEvent | RunIterationEvent | RunShardEvent;

/** The event announcing `run`'s current status. */
export function runStatusEvent(
  run: Pick<db.Run, 'id' | 'status' | 'iteration' | 'totalIterations' | 'error'>,
): RunStatusEvent {
  return {
    type: 'status',
    runId: run.id as RunId,
    status: run.status,
    iteration: run.iteration,
    totalIterations: run.totalIterations,
    error: run.error,
  };
}

/** NOTIFY through Prisma, inside the caller's interactive transaction: delivered at its commit. */
export async function publishRunEventInTransaction(
  tx: Pick<db.Prisma.TransactionClient, '$executeRaw'>,
  event: RunEvent,
): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${runEventChannel}, ${JSON.stringify(event)})`;
}

/** NOTIFY from inside the caller's transaction when given one, so listeners never hear of uncommitted state. */
export async function publishRunEvent(db: Pick<pg.Pool | pg.PoolClient, 'query'>, event: RunEvent): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [runEventChannel, JSON.stringify(event)]);
}
