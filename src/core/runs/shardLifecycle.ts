import type pg from 'pg';
import type { PrismaClient } from '../db/client.js';
import { publishRunEvent } from '../events/runEvents.js';
import { RunStatus } from '../../generated/prisma/enums.js';
import type * as db from '../../generated/prisma/client.js';
import type { RunId, ShardId } from '../ids/ids.js';
import { isTerminal } from './runStatus.js';
import { pgSql, writeRunStatus } from './runStatusWriter.js';
import { jsonColumn } from '../db/json.js';
import { mergeShardStats, type ShardStatsRecord } from './shardStats.js';
import type { WorkerIdentity } from './runLifecycle.js';

/** A sample as a shard writes it; the database assigns its id and time. */
export type NewSample = Omit<db.Sample, 'id' | 'createdAt'>;

type Client = pg.PoolClient;

/**
 * State changes of one shard of a Dispersion or DisCo run, and of the run they add up to. Every
 * change that can finish the run locks the run row first, so of two shards finishing at once
 * exactly one sees that all are done.
 */
export class ShardLifecycle {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
    readonly runId: RunId,
    readonly shardId: ShardId,
  ) {}

  load(): Promise<{ run: db.Run; shard: db.RunShard } | null> {
    return this.prisma.runShard
      .findUnique({ where: { id: this.shardId }, include: { run: true } })
      .then((row) => (row && row.runId === this.runId ? { run: row.run, shard: row } : null));
  }

  /** The run is RUNNING from its first shard on; the provenance it shows is the first worker's. */
  async markRunning(worker: WorkerIdentity): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(
        `UPDATE "RunShard" SET status = 'RUNNING', attempts = attempts + 1, "workerHost" = $2, "startedAt" = coalesce("startedAt", now())
         WHERE id = $1`,
        [this.shardId, worker.host],
      );
      await writeRunStatus(pgSql(client), this.runId, RunStatus.RUNNING, {
        from: [RunStatus.QUEUED],
        fields: {
          startedAt: 'now',
          workerHost: worker.host,
          executionProvider: worker.executionProvider,
          codeVersion: worker.codeVersion,
        },
      });
    });
  }

  /** The run's status and whether it was asked to stop, read on every iteration. */
  async runState(): Promise<{ status: RunStatus; cancelRequested: boolean }> {
    const row = await this.prisma.run.findUnique({
      where: { id: this.runId },
      select: { status: true, cancelRequested: true },
    });
    return row ?? { status: RunStatus.CANCELLED, cancelRequested: true };
  }

  /**
   * Stores this shard's statistics of one iteration (a resumed shard overwrites what it repeats).
   * When every shard has reached the iteration, the run's row for it is written from all of them
   * and the run's counter moves on.
   */
  async recordIteration(iteration: number, completed: number, stats: ShardStatsRecord): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(
        `INSERT INTO "ShardIteration" ("shardId", iteration, stats) VALUES ($1, $2, $3)
         ON CONFLICT ("shardId", iteration) DO UPDATE SET stats = EXCLUDED.stats, "createdAt" = now()`,
        [this.shardId, iteration, JSON.stringify(stats)],
      );
      await client.query(`UPDATE "RunShard" SET iteration = greatest(iteration, $2) WHERE id = $1`, [
        this.shardId,
        completed,
      ]);
      const run = await this.lockRun(client);
      const shard = await client.query<{ index: number }>(`SELECT index FROM "RunShard" WHERE id = $1`, [this.shardId]);
      await publishRunEvent(client, {
        type: 'shard',
        runId: this.runId,
        status: run.status,
        iteration: run.iteration,
        totalIterations: run.totalIterations,
        shardIndex: shard.rows[0]!.index,
        shardIteration: completed,
        shardStatus: RunStatus.RUNNING,
      });
      const { rows } = await client.query<{ stats: ShardStatsRecord }>(
        `SELECT si.stats FROM "RunShard" s LEFT JOIN "ShardIteration" si ON si."shardId" = s.id AND si.iteration = $2
         WHERE s."runId" = $1 ORDER BY s.index`,
        [this.runId, iteration],
      );
      if (rows.some((row) => row.stats === null)) return;
      const merged = mergeShardStats(rows.map((row) => row.stats));
      await client.query(
        `INSERT INTO "RunIteration" ("runId", iteration, stats) VALUES ($1, $2, $3)
         ON CONFLICT ("runId", iteration) DO UPDATE SET stats = EXCLUDED.stats, "createdAt" = now()`,
        [this.runId, iteration, JSON.stringify(merged)],
      );
      const next = Math.max(run.iteration, completed);
      await client.query(`UPDATE "Run" SET iteration = $2 WHERE id = $1`, [this.runId, next]);
      await publishRunEvent(client, {
        type: 'iteration',
        runId: this.runId,
        status: run.status,
        iteration,
        totalIterations: run.totalIterations,
        stats: merged,
      });
    });
  }

  /**
   * The shard's samples and its SUCCEEDED land in one transaction. The shard that completes the
   * set also marks the run SUCCEEDED, with the summary `summarize` computes from every sample.
   */
  async succeed(rows: NewSample[], summarize: (client: Client) => Promise<object>): Promise<{ runSucceeded: boolean }> {
    return this.transaction(async (client) => {
      const run = await this.lockRun(client);
      if (isTerminal(run.status)) return { runSucceeded: false };
      for (let start = 0; start < rows.length; start += 500)
        await insertSamples(client, rows.slice(start, start + 500));
      const shard = await client.query<{ index: number }>(
        `UPDATE "RunShard" SET status = 'SUCCEEDED', "finishedAt" = now(), error = NULL, "errorIteration" = NULL ` +
          `WHERE id = $1 RETURNING index`,
        [this.shardId],
      );
      const counts = await client.query<{ pending: number; samples: number; succeeded: number; shards: number }>(
        `SELECT count(*) FILTER (WHERE status <> 'SUCCEEDED')::int AS pending, count(*) FILTER (WHERE status = ` +
          `'SUCCEEDED')::int AS succeeded,
                count(*)::int AS shards, (SELECT count(*)::int FROM "Sample" WHERE "runId" = $1) AS samples
         FROM "RunShard" WHERE "runId" = $1`,
        [this.runId],
      );
      const { pending, samples, succeeded, shards } = counts.rows[0]!;
      await publishRunEvent(client, {
        type: 'shard',
        runId: this.runId,
        status: run.status,
        iteration: run.iteration,
        totalIterations: run.totalIterations,
        shardIndex: shard.rows[0]!.index,
        shardIteration: run.totalIterations,
        shardStatus: RunStatus.SUCCEEDED,
        samplesDone: samples,
        shardsSucceeded: succeeded,
        shardCount: shards,
      });
      if (pending > 0) return { runSucceeded: false };
      const summary = await summarize(client);
      const runDone = await writeRunStatus(pgSql(client), this.runId, RunStatus.SUCCEEDED, {
        fields: { finishedAt: 'now', error: null, errorIteration: null, summary: JSON.stringify(jsonColumn(summary)) },
      });
      return { runSucceeded: runDone !== null };
    });
  }

  /** The shard failed for good: so does the run, naming the shard and the iteration. */
  async fail(reason: string, iteration: number | null): Promise<void> {
    await this.transaction(async (client) => {
      const run = await this.lockRun(client);
      const { rows } = await client.query<{ index: number; iteration: number }>(
        `UPDATE "RunShard" SET status = 'FAILED', "finishedAt" = now(), error = $2, "errorIteration" = coalesce($3, iteration)
         WHERE id = $1 RETURNING index, "errorIteration" AS iteration`,
        [this.shardId, reason, iteration],
      );
      const shard = rows[0]!;
      if (isTerminal(run.status)) return;
      const error = `shard ${shard.index} failed at iteration ${shard.iteration}: ${reason}`;
      await writeRunStatus(pgSql(client), this.runId, RunStatus.FAILED, {
        fields: { finishedAt: 'now', error, errorIteration: shard.iteration },
      });
    });
  }

  /** Stops this shard; the run is CANCELLED by the first shard that sees the request. */
  async cancel(): Promise<void> {
    await this.transaction(async (client) => {
      const run = await this.lockRun(client);
      await client.query(
        `UPDATE "RunShard" SET status = 'CANCELLED', "finishedAt" = now() WHERE id = $1 AND status IN ('QUEUED', 'RUNNING')`,
        [this.shardId],
      );
      if (isTerminal(run.status)) return;
      await writeRunStatus(pgSql(client), this.runId, RunStatus.CANCELLED, { fields: { finishedAt: 'now' } });
    });
  }

  /** Back to the queue's hands when the worker shuts down mid-shard; the run stays RUNNING while others work. */
  async requeue(): Promise<void> {
    await this.prisma.runShard.update({ where: { id: this.shardId }, data: { status: RunStatus.QUEUED } });
  }

  private async lockRun(client: Client): Promise<{ status: RunStatus; iteration: number; totalIterations: number }> {
    const { rows } = await client.query<{ status: RunStatus; iteration: number; totalIterations: number }>(
      `SELECT status, iteration, "totalIterations" FROM "Run" WHERE id = $1 FOR UPDATE`,
      [this.runId],
    );
    if (!rows[0]) throw new Error(`run ${this.runId} is gone`);
    return rows[0];
  }

  private async transaction<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

async function insertSamples(client: Client, rows: NewSample[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = [
    'identityId',
    'runId',
    'shardId',
    'label',
    'variation',
    'latent',
    'embedding',
    'imageKey',
    'imageSha256',
    'covariateCoefficients',
  ];
  const values: unknown[] = [];
  const tuples = rows.map((row, r) => {
    values.push(
      row.identityId,
      row.runId,
      row.shardId,
      row.label,
      row.variation,
      Buffer.from(row.latent),
      Buffer.from(row.embedding),
      row.imageKey,
      row.imageSha256,
      row.covariateCoefficients,
    );
    return `(gen_random_uuid(), ${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`;
  });
  await client.query(
    `INSERT INTO "Sample" (id, ${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${tuples.join(', ')}
     ON CONFLICT ("runId", "identityId", variation) DO NOTHING`,
    values,
  );
}
