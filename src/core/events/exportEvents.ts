import type { ExportStatus } from '../../generated/prisma/enums.js';
import type { DatasetExportId } from '../ids/ids.js';

/** Export progress travels on its own channel, beside run, audit, pack and gallery events. */
export const exportEventChannel = 'brownian_export_events';

/** An export's status and progress after a change. */
export interface ExportProgressEvent {
  exportId: DatasetExportId;
  status: ExportStatus;
  done: number;
  total: number;
  error: string | null;
}
