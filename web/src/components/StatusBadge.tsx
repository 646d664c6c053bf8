import type { RunStatus } from '../api/types';

export function StatusBadge({ status }: { status: RunStatus | string }) {
  return <span className={`status status-${status.toLowerCase()}`}>{status}</span>;
}
