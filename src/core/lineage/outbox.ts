import type pg from 'pg';
import { pgSql, type Sql } from '../runs/runStatusWriter.js';
import { buildDatasetEvent } from './datasetEvent.js';
import {
  buildRunEvent,
  LineageEventType,
  lineageEventTypeOf,
  type CheckpointMark,
  type LineageRunEvent,
} from './runEvent.js';
import type { RunStatus } from '../../generated/prisma/enums.js';

/**
 * The OpenLineage outbox: events are rows written in the transaction of the change they report, so
 * an event exists exactly when its change committed; the dispatcher delivers them afterwards, and
 * a lineage endpoint that is down never blocks or fails a run. SQL of the table is all here.
 */
async function insertEvent(
  sql: Sql,
  runId: string,
  type: LineageEventType,
  checkpoint?: CheckpointMark,
): Promise<void> {
  await insertPayload(sql, await buildRunEvent(sql, runId, type, checkpoint));
}

/** `runId` is the event's OpenLineage run: a platform run, or a dataset's creation (the dataset's id). */
async function insertPayload(sql: Sql, event: LineageRunEvent | undefined): Promise<void> {
  if (!event) return;
  await sql(`INSERT INTO "LineageOutbox" ("runId", "eventType", payload) VALUES ($1::uuid, $2, $3::jsonb)`, [
    event.run.runId,
    event.eventType,
    JSON.stringify(event),
  ]);
}

/** Called by createDataset, inside the transaction that writes the dataset. */
export async function recordDatasetEvent(sql: Sql, datasetId: string, codeVersion: string): Promise<void> {
  await insertPayload(sql, await buildDatasetEvent(sql, datasetId, codeVersion));
}

/** Called by the run status writer, inside its transaction, after the status row changed. */
export async function recordRunStatusEvent(sql: Sql, runId: string, status: RunStatus): Promise<void> {
  const [started] = await sql<{ started: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM "LineageOutbox" WHERE "runId" = $1::uuid AND "eventType" = 'START') AS started`,
    [runId],
  );
  const type = lineageEventTypeOf(status, started?.started ?? false);
  if (type) await insertEvent(sql, runId, type, undefined);
}

/** A RUNNING event for a checkpoint a worker has just stored; its own small transaction. */
export async function recordCheckpointEvent(pool: pg.Pool, runId: string, checkpoint: CheckpointMark): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await insertEvent(pgSql(client), runId, LineageEventType.Running, checkpoint);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export interface OutboxEvent {
  id: string;
  runId: string;
  eventType: LineageEventType;
  payload: object;
  attempts: number;
}

/**
 * The oldest undelivered events, in the order they were written, of the runs whose oldest
 * undelivered event is due: events keep their order within a run, and a run whose event is waiting
 * for a retry holds back only its own later events, never another run's.
 */
export async function dueEvents(pool: pg.Pool, limit: number): Promise<OutboxEvent[]> {
  const { rows } = await pool.query<OutboxEvent>(
    `WITH head AS (
       SELECT DISTINCT ON ("runId") "runId", "nextAttemptAt" FROM "LineageOutbox"
       WHERE "deliveredAt" IS NULL ORDER BY "runId", id
     )
     SELECT o.id::text, o."runId", o."eventType", o.payload, o.attempts
     FROM "LineageOutbox" o JOIN head ON head."runId" = o."runId" AND head."nextAttemptAt" <= now()
     WHERE o."deliveredAt" IS NULL ORDER BY o.id LIMIT $1`,
    [limit],
  );
  return rows;
}

export async function markDelivered(pool: pg.Pool, id: string): Promise<void> {
  await pool.query(`UPDATE "LineageOutbox" SET "deliveredAt" = now(), attempts = attempts + 1 WHERE id = $1`, [id]);
}

export async function markFailed(pool: pg.Pool, id: string, error: string, retryInMs: number): Promise<void> {
  await pool.query(
    `UPDATE "LineageOutbox" SET attempts = attempts + 1, "lastError" = $2,
       "nextAttemptAt" = now() + $3 * interval '1 millisecond' WHERE id = $1`,
    [id, error.slice(0, 1000), retryInMs],
  );
}

/**
 * Deletes delivered events older than the retention (by delivery time), and, when `undelivered`,
 * undelivered ones older than it (by creation time): a platform without an endpoint keeps only
 * recent history for the day one is configured. Returns how many rows went.
 */
export async function pruneOutbox(pool: pg.Pool, retentionHours: number, undelivered: boolean): Promise<number> {
  const { rowCount } = await pool.query(
    `DELETE FROM "LineageOutbox"
     WHERE ("deliveredAt" IS NOT NULL AND "deliveredAt" < now() - $1 * interval '1 hour')
        OR ($2 AND "deliveredAt" IS NULL AND "createdAt" < now() - $1 * interval '1 hour')`,
    [retentionHours, undelivered],
  );
  return rowCount ?? 0;
}

/** Only one dispatcher delivers at a time, across every process, so each run's events leave in the order written. */
export const dispatcherLockKey = 0x4f4c_6f62; // "OLob"
