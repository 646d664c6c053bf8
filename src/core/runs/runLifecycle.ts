import type pg from 'pg';
import type { PrismaClient } from '../db/client.js';
import { publishRunEvent } from '../events/runEvents.js';
import { prismaSql, writeRunStatus, type StatusWrite } from './runStatusWriter.js';
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

interface StatusChange extends StatusWrite {
  /** Written in the same transaction, e.g. the identities of a run that succeeds or an audit entry. */
  alongside?: (tx: Transaction) => Promise<void>;
}

/** writeRunStatus in a Prisma transaction, with what goes with it; the run as it is afterwards. */
async function changeStatus(
  prisma: PrismaClient,
  runId: RunId,
  status: RunStatus,
  change: StatusChange = {},
): Promise<db.Run | null> {
  return prisma.$transaction(async (tx) => {
    if (!(await writeRunStatus(prismaSql(tx), runId, status, change))) return null;
    await change.alongside?.(tx);
    return tx.run.findUniqueOrThrow({ where: { id: runId } });
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
        startedAt: 'now',
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
      fields: { finishedAt: 'now', error: null, errorIteration: null, summary: JSON.stringify(jsonColumn(summary)) },
      // skipDuplicates false is equivalent: identities are written only here, in the transaction that makes the run
      // SUCCEEDED, a final status, so none of the run's identities can exist yet.
      // Stryker disable next-line BooleanLiteral: see above
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
    fields: { finishedAt: 'now', error: fields.error ?? null, errorIteration: fields.errorIteration ?? null },
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
    fields: { cancelRequested: true, finishedAt: 'now' },
    alongside: (tx) => alongside(tx, RunStatus.QUEUED),
  });
  if (cancelled) return { outcome: 'cancelled', run: cancelled };
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.run.updateMany({
      where: { id: runId, status: RunStatus.RUNNING },
      data: { cancelRequested: true },
    });
    const run = await tx.run.findUnique({ where: { id: runId } });
    if (!run) return { outcome: 'not-found' };
    if (count === 0) return { outcome: 'already-finished', status: run.status };
    await alongside(tx, RunStatus.RUNNING);
    return { outcome: 'cancel-requested', run };
  });
}
