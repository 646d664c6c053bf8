import type pg from 'pg';
import type * as db from '../../generated/prisma/client.js';
import { RunStatus } from '../../generated/prisma/enums.js';
import { runEventChannel, runStatusEvent } from '../events/runEvents.js';
import type { RunId } from '../ids/ids.js';
import { recordRunStatusEvent } from '../lineage/outbox.js';

/** A statement inside the caller's transaction, whether it holds a node-postgres client or a Prisma one. */
export type Sql = <Row>(text: string, params: unknown[]) => Promise<Row[]>;

export function pgSql(client: Pick<pg.PoolClient, 'query'>): Sql {
  return async <Row>(text: string, params: unknown[]) => (await client.query(text, params)).rows as Row[];
}

export function prismaSql(tx: Pick<db.Prisma.TransactionClient, '$queryRawUnsafe'>): Sql {
  return <Row>(text: string, params: unknown[]) => tx.$queryRawUnsafe<Row[]>(text, ...params);
}

/**
 * The statuses a run may move to from each status. A worker may claim a run again after a crash
 * (RUNNING → RUNNING); a terminal run never changes.
 */
const allowedFrom: Record<RunStatus, readonly RunStatus[]> = {
  [RunStatus.QUEUED]: [RunStatus.RUNNING],
  [RunStatus.RUNNING]: [RunStatus.QUEUED, RunStatus.RUNNING],
  [RunStatus.SUCCEEDED]: [RunStatus.RUNNING],
  [RunStatus.FAILED]: [RunStatus.QUEUED, RunStatus.RUNNING],
  [RunStatus.CANCELLED]: [RunStatus.QUEUED, RunStatus.RUNNING],
};

/** Columns written with a status; `now` stamps the transaction's time. */
export interface RunStatusFields {
  startedAt?: 'now';
  finishedAt?: 'now';
  error?: string | null;
  errorIteration?: number | null;
  /** Already encoded (jsonColumn), written as jsonb. */
  summary?: string;
  cancelRequested?: boolean;
  workerHost?: string;
  executionProvider?: string;
  codeVersion?: string;
}

export interface StatusWrite {
  fields?: RunStatusFields;
  /** Narrows the statuses the run may come from (never widens the allowed moves). */
  from?: readonly RunStatus[];
}

type StatusRow = Pick<db.Run, 'id' | 'status' | 'iteration' | 'totalIterations' | 'error'>;

/**
 * The one statement that writes Run.status (docs/architecture.md, "Run state"): moves the run to
 * `status` when its current status allows it and NOTIFYs the change in the caller's transaction,
 * so listeners hear of it exactly when it commits; its OpenLineage event goes to the outbox in the
 * same transaction (docs/provenance.md). Null, writing and announcing nothing, when the
 * run does not exist or may not make that move (e.g. a worker finishing a run an operator
 * cancelled meanwhile).
 */
export async function writeRunStatus(
  sql: Sql,
  runId: RunId,
  status: RunStatus,
  write: StatusWrite = {},
): Promise<StatusRow | null> {
  const from = allowedFrom[status].filter((s) => !write.from || write.from.includes(s));
  const params: unknown[] = [runId, from, status];
  const sets = ['status = $3::"RunStatus"'];
  for (const [column, value] of Object.entries(write.fields ?? {})) {
    if (value === undefined) continue;
    // Mutants that skip this branch are equivalent: the string 'now' as a timestamp parameter is read by PostgreSQL as
    // the transaction's start, which now() returns (its ConditionalExpressions are counted: forced true, one is killed).
    // Stryker disable next-line LogicalOperator,EqualityOperator,StringLiteral,BlockStatement: equivalent, see above
    if (value === 'now' && (column === 'startedAt' || column === 'finishedAt')) {
      sets.push(`"${column}" = now()`);
      continue;
    }
    params.push(value);
    sets.push(`"${column}" = $${params.length}${column === 'summary' ? '::jsonb' : ''}`);
  }
  const rows = await sql<StatusRow>(
    `UPDATE "Run" SET ${sets.join(', ')} WHERE id = $1::uuid AND status = ANY($2::"RunStatus"[])
     RETURNING id, status, iteration, "totalIterations", error`,
    params,
  );
  const row = rows[0];
  if (!row) return null;
  await sql(`SELECT pg_notify($1, $2)::text`, [runEventChannel, JSON.stringify(runStatusEvent(row))]);
  await recordRunStatusEvent(sql, runId, status);
  return row;
}
