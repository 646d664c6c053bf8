import { Permission } from '../auth/roles.js';
import { exportEventOf } from '../core/datasets/exportLifecycle.js';
import { currentThenLive } from '../core/events/currentThenLive.js';
import type { ExportProgressEvent } from '../core/events/exportEvents.js';
import type { DatasetExportId } from '../core/ids/ids.js';
import { ExportStatus } from '../generated/prisma/enums.js';
import { authorize, type GraphQLContext } from './context.js';
import { notFound } from './errors.js';

const finished = (status: ExportStatus) => status === ExportStatus.SUCCEEDED || status === ExportStatus.FAILED;

const same = (event: ExportProgressEvent, last: ExportProgressEvent) =>
  event.status === last.status && event.done === last.done && event.error === last.error;

/**
 * What an `exportProgress` subscriber receives: the export as it is now, then each change of
 * status or progress in order, completing after SUCCEEDED or FAILED (at once for a finished
 * export), as `runProgress` does for runs. A change equal to the last one sent (read back after
 * an outage) is skipped.
 */
export async function exportProgressStream(
  context: GraphQLContext,
  exportId: DatasetExportId,
): Promise<AsyncIterable<ExportProgressEvent>> {
  authorize(context, Permission.Read);
  const { prisma, events } = context.services;
  return currentThenLive(events.exportEvents(exportId), {
    async read() {
      const row = await prisma.datasetExport.findUnique({ where: { id: exportId } });
      if (!row) throw notFound('dataset export', exportId);
      return exportEventOf(row);
    },
    finished: (current) => finished(current.status),
    next: (event, last) => (same(event, last) ? undefined : { value: event, final: finished(event.status) }),
  });
}
