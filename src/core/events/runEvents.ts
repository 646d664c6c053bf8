import type pg from 'pg';
import type { RunId } from '../ids/ids.js';
import type { RunStatus } from '../../generated/prisma/enums.js';

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
  stats: Record<string, number>;
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

/** NOTIFY from inside the caller's transaction when given one, so listeners never hear of uncommitted state. */
export async function publishRunEvent(db: Pick<pg.Pool | pg.PoolClient, 'query'>, event: RunEvent): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [runEventChannel, JSON.stringify(event)]);
}
