import type { AuditId } from '../ids/ids.js';
import type { AuditStatus } from '../../generated/prisma/enums.js';

/** Audit progress travels on its own channel, beside run events. */
export const auditEventChannel = 'brownian_audit_events';

export interface AuditProgressEvent {
  auditId: AuditId;
  status: AuditStatus;
  shardsDone: number;
  shardCount: number;
  error: string | null;
}
