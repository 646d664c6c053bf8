/** A run's status, or a shard's, an audit's or a pack's: each is shown the same way. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`status status-${status.toLowerCase()}`}>{status}</span>;
}
