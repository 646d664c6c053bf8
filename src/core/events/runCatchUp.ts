import type { PrismaClient } from '../db/client.js';
import type * as db from '../../generated/prisma/client.js';
import type { RunId } from '../ids/ids.js';
import { decodeIterationStats } from '../stats/iterationStats.js';
import type { CatchUpRequest, RunCatchUp } from './eventHub.js';
import type { RunEvent, RunStatusEvent } from './runEvents.js';

const noticeMarginMs = 30_000;

function statusEvent(run: db.Run): RunStatusEvent {
  return {
    type: 'status',
    runId: run.id as RunId,
    status: run.status,
    iteration: run.iteration,
    totalIterations: run.totalIterations,
    error: run.error,
  };
}

/**
 * Events missed while the hub could not listen, read back from the rows they announced: for each
 * watched run, its iterations after the last one delivered and then its current status; for
 * subscribers to every run, the status of every run created, started or finished since the loss.
 */
export function runCatchUpFrom(prisma: PrismaClient): RunCatchUp {
  return async ({ runs, allRuns, lostAt }: CatchUpRequest): Promise<RunEvent[]> => {
    const events: RunEvent[] = [];
    const watched = await prisma.run.findMany({ where: { id: { in: [...runs.keys()] } } });
    for (const run of watched) {
      const iterations = await prisma.runIteration.findMany({
        where: { runId: run.id, iteration: { gt: runs.get(run.id as RunId) ?? -1 } },
        orderBy: { iteration: 'asc' },
      });
      for (const row of iterations) {
        events.push({
          type: 'iteration',
          runId: run.id as RunId,
          status: run.status,
          iteration: row.iteration,
          totalIterations: run.totalIterations,
          stats: decodeIterationStats(row.stats),
        });
      }
      events.push(statusEvent(run));
    }
    if (allRuns) {
      // The loss is noticed a little after it happens (a frozen server is only found out by a timeout).
      const since = new Date(lostAt.getTime() - noticeMarginMs);
      const changed = await prisma.run.findMany({
        where: {
          id: { notIn: watched.map((run) => run.id) },
          OR: [{ createdAt: { gte: since } }, { startedAt: { gte: since } }, { finishedAt: { gte: since } }],
        },
        orderBy: { createdAt: 'asc' },
      });
      events.push(...changed.map(statusEvent));
    }
    return events;
  };
}
