import type { PrismaClient } from '../db/client.js';
import { exportEventChannel, type ExportProgressEvent } from '../events/exportEvents.js';
import type { DatasetExportId } from '../ids/ids.js';
import { ExportStatus } from '../../generated/prisma/enums.js';
import type * as db from '../../generated/prisma/client.js';

type Tx = Pick<db.Prisma.TransactionClient, 'datasetExport' | '$executeRaw'>;

/** Where an export may come from to reach each status; a finished export never changes. */
const allowedFrom: Record<ExportStatus, ExportStatus[]> = {
  [ExportStatus.QUEUED]: [ExportStatus.RUNNING],
  [ExportStatus.RUNNING]: [ExportStatus.QUEUED, ExportStatus.RUNNING],
  [ExportStatus.SUCCEEDED]: [ExportStatus.RUNNING],
  [ExportStatus.FAILED]: [ExportStatus.QUEUED, ExportStatus.RUNNING],
};

export interface ExportWrite {
  done?: number;
  error?: string;
  objectKey?: string;
  sha256?: string;
  size?: bigint;
  startedAt?: Date;
}

function eventOf(row: db.DatasetExport): ExportProgressEvent {
  return {
    exportId: row.id as DatasetExportId,
    status: row.status,
    done: row.done,
    total: row.total,
    error: row.error,
  };
}

/**
 * The one writer of an export's status and progress: moves it to `status` when its current status
 * allows (a RUNNING export may report progress as RUNNING → RUNNING) and NOTIFYs the change in the
 * same transaction, for exportProgress subscribers. Null, writing nothing, when the export is gone
 * or may not make that move.
 */
export async function writeExportStatus(
  prisma: PrismaClient | Tx,
  exportId: DatasetExportId,
  status: ExportStatus,
  write: ExportWrite = {},
): Promise<db.DatasetExport | null> {
  const run = async (tx: Tx) => {
    const { count } = await tx.datasetExport.updateMany({
      where: { id: exportId, status: { in: allowedFrom[status] } },
      data: {
        status,
        ...write,
        ...(status === ExportStatus.SUCCEEDED || status === ExportStatus.FAILED ? { finishedAt: new Date() } : {}),
      },
    });
    if (count === 0) return null;
    const row = await tx.datasetExport.findUniqueOrThrow({ where: { id: exportId } });
    await tx.$executeRaw`SELECT pg_notify(${exportEventChannel}, ${JSON.stringify(eventOf(row))})`;
    return row;
  };
  return '$transaction' in prisma ? prisma.$transaction((tx) => run(tx)) : run(prisma);
}

/** The current state of exports someone watches, for subscribers after a lost connection. */
export async function exportStates(prisma: PrismaClient, exportIds: string[]): Promise<ExportProgressEvent[]> {
  return (await prisma.datasetExport.findMany({ where: { id: { in: exportIds } } })).map(eventOf);
}

export { eventOf as exportEventOf };
