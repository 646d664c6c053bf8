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

/** The oldest undelivered events, in the order they were written, if the first is due. */
export async function dueEvents(pool: pg.Pool, limit: number): Promise<OutboxEvent[]> {
  const { rows } = await pool.query<OutboxEvent & { due: boolean }>(
    `SELECT id::text, "runId", "eventType", payload, attempts, "nextAttemptAt" <= now() AS due
     FROM "LineageOutbox" WHERE "deliveredAt" IS NULL ORDER BY id LIMIT $1`,
    [limit],
  );
  return rows[0]?.due ? rows : [];
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

/** Only one dispatcher delivers at a time, across every process, so events leave in the order they were written. */
export const dispatcherLockKey = 0x4f4c_6f62; // "OLob"
