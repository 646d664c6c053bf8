import type pg from 'pg';
import type { PrismaClient } from '../db/client.js';
import { publishRunEvent } from '../events/runEvents.js';
import { RunStatus } from '../../generated/prisma/enums.js';
import type * as db from '../../generated/prisma/client.js';
import type { RunId } from '../ids/ids.js';

/** An identity as a run writes it; the database assigns its id and time. */
export type NewIdentity = Omit<db.Identity, 'id' | 'createdAt'>;

export interface WorkerIdentity {
  host: string;
  executionProvider: string;
  codeVersion: string;
}

/** Status changes of a run, each written and announced in one transaction. */
export class RunLifecycle {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
    private readonly runId: RunId,
  ) {}

  load(): Promise<db.Run | null> {
    return this.prisma.run.findUnique({ where: { id: this.runId } });
  }

  async markRunning(worker: WorkerIdentity): Promise<db.Run> {
    const run = await this.prisma.run.update({
      where: { id: this.runId },
      data: {
        status: RunStatus.RUNNING,
        startedAt: new Date(),
        workerHost: worker.host,
        executionProvider: worker.executionProvider,
        codeVersion: worker.codeVersion,
      },
    });
    await this.announce(run, null);
    return run;
  }

  /**
   * Stores one iteration's statistics and advances the run's counter. Re-recording an iteration
   * (a resumed run repeating the iterations after its last checkpoint) overwrites it.
   */
  async recordIteration(iteration: number, completed: number, stats: object): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO "RunIteration" ("runId", iteration, stats) VALUES ($1, $2, $3)
         ON CONFLICT ("runId", iteration) DO UPDATE SET stats = EXCLUDED.stats, "createdAt" = now()`,
        [this.runId, iteration, JSON.stringify(stats)],
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
          stats: stats as Record<string, number>,
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

  async finish(status: RunStatus, fields: { error?: string; errorIteration?: number; summary?: object } = {}): Promise<db.Run> {
    const run = await this.prisma.run.update({
      where: { id: this.runId },
      data: {
        status,
        finishedAt: new Date(),
        error: fields.error ?? null,
        errorIteration: fields.errorIteration ?? null,
        ...(fields.summary ? { summary: fields.summary as never } : {}),
      },
    });
    await this.announce(run, run.error);
    return run;
  }

  /** The identities and the SUCCEEDED status land in one transaction: readers see all of them or none. */
  async succeedWithIdentities(rows: NewIdentity[], summary: object): Promise<db.Run> {
    const run = await this.prisma.$transaction(async (tx) => {
      await tx.identity.createMany({ data: rows, skipDuplicates: true });
      return tx.run.update({
        where: { id: this.runId },
        data: { status: RunStatus.SUCCEEDED, finishedAt: new Date(), error: null, errorIteration: null, summary: summary as never },
      });
    });
    await this.announce(run, null);
    return run;
  }

  /** Back to the queue's hands, e.g. when the worker shuts down mid-run. */
  async requeue(): Promise<void> {
    const run = await this.prisma.run.update({ where: { id: this.runId }, data: { status: RunStatus.QUEUED } });
    await this.announce(run, null);
  }

  private announce(run: db.Run, error: string | null): Promise<void> {
    return publishRunEvent(this.pool, {
      type: 'status',
      runId: this.runId,
      status: run.status,
      iteration: run.iteration,
      totalIterations: run.totalIterations,
      error,
    });
  }
}
