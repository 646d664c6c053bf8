import { useMemo, useState } from 'react';
import { useQuery, useSubscription } from 'urql';
import { Link } from 'wouter';
import { modelPacksQuery, runsQuery, runUpdatedSubscription } from '../api/documents';
import {
  nodes,
  runKinds,
  runStatuses,
  type Connection,
  type ModelPack,
  type RunKind,
  type RunRow,
  type RunStatus,
} from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { StatusBadge } from '../components/StatusBadge';
import { durationMs, formatDate, formatDuration, shortId } from '../format';
import { canOperate, type Role } from '../session';

/** The API's RunOrderField for each sortable column. */
type SortKey = 'KIND' | 'STATUS' | 'MODEL_PACK' | 'IDENTITIES' | 'ITERATIONS' | 'PROGRESS' | 'STARTED_AT' | 'DURATION';

const columns: { key: SortKey; label: string }[] = [
  { key: 'KIND', label: 'Kind' },
  { key: 'STATUS', label: 'Status' },
  { key: 'MODEL_PACK', label: 'Pack' },
  { key: 'IDENTITIES', label: 'Identities' },
  { key: 'ITERATIONS', label: 'Iterations' },
  { key: 'PROGRESS', label: 'Progress' },
  { key: 'STARTED_AT', label: 'Started' },
  { key: 'DURATION', label: 'Duration' },
];

/**
 * Runs newest first, filtered, sorted (a column header, again to reverse) and paged by cursor on the
 * server, so every page follows the chosen order. Status changes arrive over the runUpdated subscription.
 */
export function RunsPage({ role }: { role: Role }) {
  const [status, setStatus] = useState<RunStatus | ''>('');
  const [kind, setKind] = useState<RunKind | ''>('');
  const [packId, setPackId] = useState('');
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean } | null>(null);

  const filter = useMemo(
    () => ({ ...(status && { status }), ...(kind && { kind }), ...(packId && { modelPackId: packId }) }),
    [status, kind, packId],
  );
  const after = cursors[cursors.length - 1] ?? null;
  const orderBy = useMemo(() => sort && { field: sort.key, direction: sort.descending ? 'DESC' : 'ASC' }, [sort]);
  const [{ data, error, fetching }, refetch] = useQuery<{
    runs: {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: { node: RunRow }[];
    };
  }>({ query: runsQuery, variables: { after, filter, orderBy } });
  const [{ data: packs }] = useQuery<{ modelPacks: Connection<ModelPack> }>({ query: modelPacksQuery });
  useSubscription({ query: runUpdatedSubscription }, () => {
    refetch({ requestPolicy: 'network-only' });
    return null;
  });

  const setFilter =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      setCursors([null]);
    };
  const rows = data?.runs.edges.map((edge) => edge.node) ?? [];

  return (
    <section>
      <div className="heading">
        <h1>Runs</h1>
        {canOperate(role) && (
          <Link href="/runs/new" className="button">
            Start a Langevin run
          </Link>
        )}
      </div>
      <div className="filters">
        <label>
          Status
          <select name="status" value={status} onChange={(e) => setFilter(setStatus)(e.target.value as RunStatus | '')}>
            <option value="">any</option>
            {runStatuses.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Kind
          <select name="kind" value={kind} onChange={(e) => setFilter(setKind)(e.target.value as RunKind | '')}>
            <option value="">any</option>
            {runKinds.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        <label>
          Pack
          <select name="pack" value={packId} onChange={(e) => setFilter(setPackId)(e.target.value)}>
            <option value="">any</option>
            {nodes(packs?.modelPacks).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.digest.slice(0, 8)})
              </option>
            ))}
          </select>
        </label>
        <span className="muted">{data ? `${data.runs.totalCount} runs` : fetching ? 'loading…' : ''}</span>
      </div>
      <ErrorBox error={error} />
      <table className="runs" data-testid="runs-table">
        <thead>
          <tr>
            <th>Run</th>
            {columns.map((column) => (
              <th key={column.key}>
                <button
                  type="button"
                  className="link"
                  data-sort={column.key}
                  onClick={() => {
                    setSort((s) => ({ key: column.key, descending: s?.key === column.key ? !s.descending : false }));
                    setCursors([null]);
                  }}
                >
                  {column.label}
                  {sort?.key === column.key ? (sort.descending ? ' ▼' : ' ▲') : ''}
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((run) => (
            <tr key={run.id} data-run-id={run.id}>
              <td>
                <Link href={`/runs/${run.id}`}>{shortId(run.id)}</Link>
              </td>
              <td>{run.kind}</td>
              <td>
                <StatusBadge status={run.status} />
              </td>
              <td title={run.modelPack.digest}>{run.modelPack.name}</td>
              <td className="num">{run.identities.totalCount}</td>
              <td className="num">{run.totalIterations}</td>
              <td>
                <progress max={run.totalIterations || 1} value={run.iteration} /> {run.iteration}/{run.totalIterations}
              </td>
              <td>{formatDate(run.startedAt)}</td>
              <td className="num">{formatDuration(durationMs(run.startedAt, run.finishedAt))}</td>
            </tr>
          ))}
          {data && rows.length === 0 && (
            <tr>
              <td colSpan={columns.length + 1} className="muted">
                No runs match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <div className="pager">
        <button type="button" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
          ← Previous
        </button>
        <span className="muted">page {cursors.length}</span>
        <button
          type="button"
          disabled={!data?.runs.pageInfo.hasNextPage}
          onClick={() => setCursors((c) => [...c, data?.runs.pageInfo.endCursor ?? null])}
        >
          Next →
        </button>
      </div>
    </section>
  );
}
