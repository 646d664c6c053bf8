import { Permission } from '../auth/roles.js';
import { exportEventOf } from '../core/datasets/exportLifecycle.js';
import type { ExportProgressEvent } from '../core/events/exportEvents.js';
import type { DatasetExportId } from '../core/ids/ids.js';
import { ExportStatus } from '../generated/prisma/enums.js';
import { authorize, type GraphQLContext } from './context.js';
import { notFound } from './errors.js';

const finished = (status: ExportStatus) => status === ExportStatus.SUCCEEDED || status === ExportStatus.FAILED;

/**
 * What an `exportProgress` subscriber receives: the export as it is now, then each change of
 * status or progress in order, completing after SUCCEEDED or FAILED (at once for a finished
 * export), as `runProgress` does for runs. Listening starts before the row is read, so no change
 * falls between the two; a change equal to the last one sent (read back after an outage) is skipped.
 */
export async function exportProgressStream(
  context: GraphQLContext,
  exportId: DatasetExportId,
): Promise<AsyncIterable<ExportProgressEvent>> {
  authorize(context, Permission.Read);
  const { prisma, events } = context.services;
  const live = events.exportEvents(exportId);
  let snapshot: ExportProgressEvent;
  try {
    const row = await prisma.datasetExport.findUnique({ where: { id: exportId } });
    if (!row) throw notFound('dataset export', exportId);
    snapshot = exportEventOf(row);
  } catch (error) {
    await live.return?.();
    throw error;
  }
  async function* stream(): AsyncGenerator<ExportProgressEvent> {
    try {
      yield snapshot;
      if (finished(snapshot.status)) return;
      let last = snapshot;
      for await (const event of live) {
        if (event.status === last.status && event.done === last.done && event.error === last.error) continue;
        last = event;
        yield event;
        if (finished(event.status)) return;
      }
    } finally {
      await live.return?.();
    }
  }
  return stream();
}
