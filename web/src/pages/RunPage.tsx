import { useEffect, useMemo } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { Link } from 'wouter';
import { cancelRunMutation, runProgressSubscription, runQuery, runSamplesQuery } from '../api/documents';
import { isTerminal, type RunDetail, type RunProgressEvent, type RunRef } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { IdentityGrid } from '../components/IdentityGrid';
import { RunCharts, type IterationPoint } from '../components/RunCharts';
import { StatusBadge } from '../components/StatusBadge';
import { VariationsForm } from '../components/VariationsForm';
import { durationMs, formatDate, formatDuration, shortId } from '../format';
import { canOperate, type Role } from '../session';

/**
 * One run: parameters, live charts (the stored iterations, then every runProgress event appended),
 * identities, cancel for operators, and where it sits in its lineage.
 */
export function RunPage({ id, role }: { id: string; role: Role }) {
  const [{ data, error }, refetch] = useQuery<{ run: RunDetail | null }>({
    query: runQuery,
    variables: { id },
    requestPolicy: 'network-only',
  });
  const [events] = useSubscription<{ runProgress: RunProgressEvent }, RunProgressEvent[]>(
    { query: runProgressSubscription, variables: { runId: id } },
    (previous = [], event) => [...previous, event.runProgress],
  );
  const [cancelState, cancel] = useMutation(cancelRunMutation);

  const live = events.data ?? [];
  const latest = live[live.length - 1];
  const run = data?.run;
  const status = latest && run && latest.iteration >= run.iteration ? latest.status : run?.status;
  const iteration = Math.max(run?.iteration ?? 0, latest?.iteration ?? 0);

  // A terminal event means identities, summary and finish time changed: read the run again.
  const terminalSeen = live.some((event) => isTerminal(event.status));
  useEffect(() => {
    if (terminalSeen) refetch({ requestPolicy: 'network-only' });
  }, [terminalSeen, refetch]);

  const points = useMemo<IterationPoint[]>(() => {
    const stored = run?.iterations ?? [];
    const last = stored.length ? stored[stored.length - 1]!.iteration : -1;
    const seen = new Set<number>();
    const streamed = live.flatMap((event) => {
      if (!event.stats || event.iteration <= last || seen.has(event.iteration)) return [];
      seen.add(event.iteration);
      return [{ iteration: event.iteration, stats: event.stats }];
    });
    return [...stored, ...streamed];
  }, [run, live]);

  if (error) return <ErrorBox error={error} />;
  if (!data) return <p className="muted">Loading run…</p>;
  if (!run) return <p className="error">No run {id}.</p>;
  const terminal = status ? isTerminal(status) : true;

  return (
    <section>
      <div className="heading">
        <h1>
          {run.kind} run <code>{shortId(run.id)}</code> <StatusBadge status={status ?? run.status} />
        </h1>
        {canOperate(role) && !terminal && (
          <button
            type="button"
            className="danger"
            disabled={cancelState.fetching || run.cancelRequested || cancelState.data !== undefined}
            onClick={() => void cancel({ id: run.id })}
          >
            {run.cancelRequested || cancelState.data ? 'Cancelling…' : 'Cancel run'}
          </button>
        )}
      </div>
      <ErrorBox error={cancelState.error} />
      {run.error && (
        <p className="error">
          Failed{run.errorIteration !== null ? ` at iteration ${run.errorIteration}` : ''}: {run.error}
        </p>
      )}
      <dl className="facts">
        <dt>Progress</dt>
        <dd>
          <progress max={run.totalIterations || 1} value={iteration} /> <span data-testid="iteration">{iteration}</span>
          /{run.totalIterations}
        </dd>
        <dt>Model pack</dt>
        <dd>
          <Link href="/packs">{run.modelPack.name}</Link> <code>{run.modelPack.digest.slice(0, 12)}</code>
        </dd>
        <dt>Seed</dt>
        <dd>
          <code>{run.seed}</code>
        </dd>
        <dt>Created / started</dt>
        <dd>
          {formatDate(run.createdAt)} / {formatDate(run.startedAt)}
        </dd>
        <dt>Duration</dt>
        <dd>{formatDuration(durationMs(run.startedAt, run.finishedAt))}</dd>
        <dt>Executed by</dt>
        <dd>
          {run.provenance.workerHost ?? '—'} ({run.provenance.executionProvider ?? '—'}), code{' '}
          {run.provenance.codeVersion ?? '—'}
        </dd>
      </dl>

      <h2>Lineage</h2>
      <RunLineage parent={run.parent} self={run} children={run.children} />

      <h2>Parameters</h2>
      <table className="params">
        <tbody>
          {flatten(run.parameters).map(([name, value]) => (
            <tr key={name}>
              <th>{name}</th>
              <td>
                <code>{JSON.stringify(value)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Iterations</h2>
      {points.length === 0 ? <p className="muted">No iteration yet.</p> : <RunCharts points={points} />}

      {canOperate(role) && run.kind === 'LANGEVIN' && run.status === 'SUCCEEDED' && (
        <>
          <h2>Variations of these identities</h2>
          <VariationsForm parentRunId={run.id} manifest={run.modelPack.manifest} />
        </>
      )}

      <h2>{run.kind === 'LANGEVIN' ? 'Identities' : 'Samples'}</h2>
      {run.kind === 'LANGEVIN' ? (
        <IdentityGrid key={`${run.id}:${status ?? run.status}`} runId={run.id} />
      ) : (
        <SampleGrid key={`${run.id}:${status ?? run.status}`} runId={run.id} />
      )}
    </section>
  );
}

/** Nested parameter objects (e.g. the method's settings) as dotted names, one row each. */
function flatten(value: Record<string, unknown>, prefix = ''): [string, unknown][] {
  return Object.entries(value).flatMap(([name, inner]) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? flatten(inner as Record<string, unknown>, `${prefix}${name}.`)
      : [[`${prefix}${name}`, inner] as [string, unknown]],
  );
}

function RunLink({ run }: { run: RunRef }) {
  return (
    <Link href={`/runs/${run.id}`}>
      {run.kind} {shortId(run.id)} <StatusBadge status={run.status} />
    </Link>
  );
}

function RunLineage({ parent, self, children }: { parent: RunRef | null; self: RunRef; children: RunRef[] }) {
  return (
    <ol className="lineage" data-testid="run-lineage">
      <li>
        {parent ? (
          <>
            continues <RunLink run={parent} />
          </>
        ) : (
          <span className="muted">no parent run</span>
        )}
      </li>
      <li>
        <strong>this run</strong> ({self.kind} {shortId(self.id)})
      </li>
      <li>
        {children.length === 0 ? (
          <span className="muted">no runs started from it</span>
        ) : (
          <>
            continued by{' '}
            {children.map((child) => (
              <span key={child.id}>
                <RunLink run={child} />{' '}
              </span>
            ))}
          </>
        )}
      </li>
    </ol>
  );
}

interface SamplesData {
  run: {
    samples: {
      totalCount: number;
      edges: {
        node: {
          id: string;
          label: number;
          variation: number;
          imageUrl: { url: string };
          identity: { id: string; index: number };
        };
      }[];
    };
  } | null;
}

/** Dispersion and DisCo runs produce variations (samples) of identities rather than identities. */
function SampleGrid({ runId }: { runId: string }) {
  const [{ data, error }] = useQuery<SamplesData>({
    query: runSamplesQuery,
    variables: { id: runId },
    requestPolicy: 'network-only',
  });
  if (error) return <ErrorBox error={error} />;
  const samples = data?.run?.samples;
  if (!samples) return <p className="muted">Loading samples…</p>;
  if (samples.totalCount === 0) return <p className="muted">No samples yet.</p>;
  return (
    <div className="grid" data-testid="sample-grid">
      {samples.edges.map(({ node }) => (
        <Link key={node.id} href={`/identities/${node.identity.id}`} className="tile">
          <img
            src={node.imageUrl.url}
            alt={`sample ${node.label}/${node.variation}`}
            loading="lazy"
            width={96}
            height={96}
          />
          <span>
            label {node.label} · v{node.variation}
          </span>
        </Link>
      ))}
      <p className="muted">{samples.totalCount} samples in all.</p>
    </div>
  );
}
