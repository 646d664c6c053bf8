import type pg from 'pg';
import type { PrismaClient } from '../db/client.js';
import { publishRunEvent, publishRunEventInTransaction, runStatusEvent } from '../events/runEvents.js';
import { RunStatus } from '../../generated/prisma/enums.js';
import type * as db from '../../generated/prisma/client.js';
import type { RunId } from '../ids/ids.js';
import { jsonColumn } from '../db/json.js';
import type { IterationStatsRecord, RunSummary } from '../stats/iterationStats.js';

/** An identity as a run writes it; the database assigns its id and time. */
export type NewIdentity = Omit<db.Identity, 'id' | 'createdAt'>;

export type Transaction = db.Prisma.TransactionClient;

export interface WorkerIdentity {
  host: string;
  executionProvider: string;
  codeVersion: string;
}

/**
 * The statuses a run may move to from each status. A run that a worker still holds may be
 * claimed again after a crash (RUNNING → RUNNING); a terminal run never changes.
 */
const allowedFrom: Record<RunStatus, readonly RunStatus[]> = {
  [RunStatus.QUEUED]: [RunStatus.RUNNING],
  [RunStatus.RUNNING]: [RunStatus.QUEUED, RunStatus.RUNNING],
  [RunStatus.SUCCEEDED]: [RunStatus.RUNNING],
  [RunStatus.FAILED]: [RunStatus.QUEUED, RunStatus.RUNNING],
  [RunStatus.CANCELLED]: [RunStatus.QUEUED, RunStatus.RUNNING],
};

interface StatusChange {
  /** Other columns written with the status. */
  fields?: Omit<db.Prisma.RunUpdateManyMutationInput, 'status'>;
  /** Narrows the statuses the run may come from (never widens `allowedFrom`). */
  from?: readonly RunStatus[];
  /** Written in the same transaction, e.g. the identities of a run that succeeds or an audit entry. */
  alongside?: (tx: Transaction) => Promise<void>;
}

/**
 * Moves run `runId` to `status` when its current status allows it, writes `alongside` in the same
 * transaction and announces the change on the run-event channel; the NOTIFY is delivered at
 * commit, so listeners never hear of a change that did not happen. Null when the run does not
 * exist or its status does not allow the move (e.g. a worker finishing a run an operator
 * cancelled meanwhile): then nothing is written.
 *
 * The only code that writes Run.status (docs/architecture.md, "Run state").
 */
async function changeStatus(prisma: PrismaClient, runId: RunId, status: RunStatus, change: StatusChange = {}): Promise<db.Run | null> {
  const from = allowedFrom[status].filter((s) => !change.from || change.from.includes(s));
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.run.updateMany({ where: { id: runId, status: { in: from } }, data: { ...change.fields, status } });
    if (count === 0) return null;
    await change.alongside?.(tx);
    const run = await tx.run.findUniqueOrThrow({ where: { id: runId } });
    await publishRunEventInTransaction(tx, runStatusEvent(run));
    return run;
  });
}

/** Status changes a worker makes to the run it holds, each written and announced in one transaction. */
export class RunLifecycle {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
    private readonly runId: RunId,
  ) {}

  load(): Promise<db.Run | null> {
    return this.prisma.run.findUnique({ where: { id: this.runId } });
  }

  /** Null when the run may no longer run (cancelled or finished meanwhile): the job has nothing to do. */
  markRunning(worker: WorkerIdentity): Promise<db.Run | null> {
    return changeStatus(this.prisma, this.runId, RunStatus.RUNNING, {
      fields: {
        startedAt: new Date(),
        workerHost: worker.host,
        executionProvider: worker.executionProvider,
        codeVersion: worker.codeVersion,
      },
    });
  }

  /**
   * Stores one iteration's statistics and advances the run's counter. Re-recording an iteration
   * (a resumed run repeating the iterations after its last checkpoint) overwrites it.
   */
  async recordIteration(iteration: number, completed: number, stats: IterationStatsRecord): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO "RunIteration" ("runId", iteration, stats) VALUES ($1, $2, $3)
         ON CONFLICT ("runId", iteration) DO UPDATE SET stats = EXCLUDED.stats, "createdAt" = now()`,
        [this.runId, iteration, JSON.stringify(jsonColumn(stats))],
      );
      const { rows } = await client.query<{ status: RunStatus; totalIterations: number }>(
        `UPDATE "Run" SET iteration = $2 WHERE id = $1 RETURNING status, "totalIterations"`,
        [this.runId, completed],
      );
      const row = rows[0];
      if (row) {
        await publishRunEvent(client, {
          type: 'iteration',
          runId: this.runId,
          status: row.status,
          iteration,
          totalIterations: row.totalIterations,
          stats,
        });
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async cancelRequested(): Promise<boolean> {
    const row = await this.prisma.run.findUnique({ where: { id: this.runId }, select: { cancelRequested: true } });
    return row?.cancelRequested ?? true;
  }

  finish(
    status: typeof RunStatus.FAILED | typeof RunStatus.CANCELLED,
    fields: { error?: string; errorIteration?: number } = {},
  ): Promise<db.Run | null> {
    return failOrCancel(this.prisma, this.runId, status, fields);
  }

  /** The identities and the SUCCEEDED status land in one transaction: readers see all of them or none. */
  succeedWithIdentities(rows: NewIdentity[], summary: RunSummary): Promise<db.Run | null> {
    return changeStatus(this.prisma, this.runId, RunStatus.SUCCEEDED, {
      fields: { finishedAt: new Date(), error: null, errorIteration: null, summary: jsonColumn(summary) },
      alongside: async (tx) => void (await tx.identity.createMany({ data: rows, skipDuplicates: true })),
    });
  }

  /** Back to the queue's hands, e.g. when the worker shuts down mid-run. */
  async requeue(): Promise<void> {
    await changeStatus(this.prisma, this.runId, RunStatus.QUEUED);
  }
}

/** A run that ends without identities: the worker's failure or cancellation, or a job that could not be queued. */
export function failOrCancel(
  prisma: PrismaClient,
  runId: RunId,
  status: typeof RunStatus.FAILED | typeof RunStatus.CANCELLED,
  fields: { error?: string; errorIteration?: number } = {},
): Promise<db.Run | null> {
  return changeStatus(prisma, runId, status, {
    fields: { finishedAt: new Date(), error: fields.error ?? null, errorIteration: fields.errorIteration ?? null },
  });
}

export type CancelOutcome =
  | { outcome: 'not-found' }
  | { outcome: 'already-finished'; status: RunStatus }
  /** A queued run is cancelled at once; a running one when its worker reaches the next iteration. */
  | { outcome: 'cancelled' | 'cancel-requested'; run: db.Run };

/**
 * An operator's cancellation: a queued run ends now, a running run is asked to stop at its next
 * iteration. `alongside` (e.g. the audit entry) is written in the same transaction, told the
 * status the run had.
 */
export async function cancelRun(
  prisma: PrismaClient,
  runId: RunId,
  alongside: (tx: Transaction, previous: RunStatus) => Promise<void>,
): Promise<CancelOutcome> {
  const cancelled = await changeStatus(prisma, runId, RunStatus.CANCELLED, {
    from: [RunStatus.QUEUED],
    fields: { cancelRequested: true, finishedAt: new Date() },
    alongside: (tx) => alongside(tx, RunStatus.QUEUED),
  });
  if (cancelled) return { outcome: 'cancelled', run: cancelled };
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.run.updateMany({ where: { id: runId, status: RunStatus.RUNNING }, data: { cancelRequested: true } });
    const run = await tx.run.findUnique({ where: { id: runId } });
    if (!run) return { outcome: 'not-found' };
    if (count === 0) return { outcome: 'already-finished', status: run.status };
    await alongside(tx, RunStatus.RUNNING);
    return { outcome: 'cancel-requested', run };
  });
}
