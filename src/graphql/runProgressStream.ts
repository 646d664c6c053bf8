import { Permission } from '../auth/roles.js';
import { currentThenLive } from '../core/events/currentThenLive.js';
import type { RunEvent } from '../core/events/runEvents.js';
import type { RunId } from '../core/ids/ids.js';
import { isTerminal } from '../core/runs/runStatus.js';
import { decodeIterationStats } from '../core/stats/iterationStats.js';
import { authorize, type GraphQLContext } from './context.js';
import { notFound } from './errors.js';
import type { RunProgress } from './types/RunProgress.js';

export function toProgress(event: RunEvent): RunProgress {
  return {
    runId: event.runId,
    status: event.status,
    iteration: event.iteration,
    totalIterations: event.totalIterations,
    stats: event.type === 'iteration' ? event.stats : null,
    error: event.type === 'status' ? event.error : null,
    shard:
      event.type === 'shard'
        ? { index: event.shardIndex, status: event.shardStatus, iteration: event.shardIteration }
        : null,
    samplesDone: event.type === 'shard' ? (event.samplesDone ?? null) : null,
    shardsSucceeded: event.type === 'shard' ? (event.shardsSucceeded ?? null) : null,
    shardCount: event.type === 'shard' ? (event.shardCount ?? null) : null,
  };
}

/**
 * What a `runProgress` subscriber receives: first the run as it is now (status, iteration, the
 * latest statistics), then every later event in order; after the run's final status the stream
 * completes, and a run that has already finished sends its final state and completes at once.
 * Iterations the first value already covers are not sent again.
 */
export async function runProgressStream(context: GraphQLContext, runId: RunId): Promise<AsyncIterable<RunProgress>> {
  authorize(context, Permission.Read);
  const { prisma, events } = context.services;
  let seenIteration = -1;
  return currentThenLive(events.runEvents(runId), {
    async read() {
      const run = await prisma.run.findUnique({ where: { id: runId } });
      if (!run) throw notFound('run', runId);
      const latest = await prisma.runIteration.findFirst({ where: { runId }, orderBy: { iteration: 'desc' } });
      seenIteration = latest?.iteration ?? -1;
      return {
        ...toProgress({
          type: 'status',
          runId,
          status: run.status,
          iteration: run.iteration,
          totalIterations: run.totalIterations,
          error: run.error,
        }),
        stats: latest ? decodeIterationStats(latest.stats) : null,
      };
    },
    finished: (current) => isTerminal(current.status),
    next: (event) =>
      event.type === 'iteration' && event.iteration <= seenIteration
        ? undefined
        : { value: toProgress(event), final: event.type === 'status' && isTerminal(event.status) },
  });
}
