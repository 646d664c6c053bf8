import { useMemo, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { Link, useLocation } from 'wouter';
import {
  auditProgressSubscription,
  auditQuery,
  auditsQuery,
  flaggedPageSize,
  galleriesQuery,
  rerunWithExclusionMutation,
  startLeakageAuditMutation,
  succeededRunsQuery,
} from '../api/documents';
import { nodes, type Connection, type Gallery, type RunKind } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { Histogram, type HistogramSeries } from '../components/Histogram';
import { StatusBadge } from '../components/StatusBadge';
import { formatDate, formatNumber, shortId } from '../format';

interface AuditRow {
  id: string;
  status: string;
  scope: string;
  galleryName: string;
  runIds: string[];
  threshold: number;
  thresholdAngle: number;
  thresholdSource: string;
  createdAt: string;
  finishedAt: string | null;
  summary: {
    flaggedIdentities: number;
    identitiesAudited: number;
    leakageRate: number;
    flaggedSamples: number;
    samplesAudited: number;
  } | null;
}

interface Match {
  id: string;
  similarity: number;
  distance: number;
  rank: number;
  identityId: string;
  sampleId: string | null;
  syntheticImageUrl: { url: string };
  galleryImageUrl: { url: string } | null;
  subject: { label: string; row: number } | null;
}

interface AuditDetail extends Omit<AuditRow, 'summary'> {
  error: string | null;
  galleryDigest: string;
  recognizerDigest: string;
  topK: number;
  targetFalseMatchRate: number | null;
  falseMatchRate: number | null;
  shardsDone: number;
  shardCount: number;
  queryCount: number;
  startedAt: string | null;
  summary: {
    flaggedIdentities: number;
    flaggedSamples: number;
    identitiesAudited: number;
    samplesAudited: number;
    leakageRate: number;
    sampleLeakageRate: number;
    maxSimilarity: number;
    histogram: { binStarts: number[]; galleryImpostors: number[]; identityMaxSimilarity: number[] };
  } | null;
  matches: { totalCount: number; edges: { node: Match }[] };
}

/** Leakage audits (auditors and admins): the list, and one audit's summary, histogram and flagged pairs. */
export function AuditsPage({ id }: { id?: string }) {
  return id ? <Audit id={id} /> : <AuditList />;
}

function AuditList() {
  const [{ data, error }] = useQuery<{ leakageAudits: Connection<AuditRow> }>({ query: auditsQuery });
  return (
    <section>
      <h1>Audits</h1>
      <NewAudit />
      <ErrorBox error={error} />
      <table data-testid="audits-table">
        <thead>
          <tr>
            <th>Audit</th>
            <th>Status</th>
            <th>Gallery</th>
            <th>Runs</th>
            <th>Scope</th>
            <th>Threshold (cos / rad)</th>
            <th>Flagged identities</th>
            <th>Leakage rate</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {nodes(data?.leakageAudits).map((audit) => (
            <tr key={audit.id}>
              <td>
                <Link href={`/audits/${audit.id}`}>{shortId(audit.id)}</Link>
              </td>
              <td>
                <StatusBadge status={audit.status} />
              </td>
              <td>{audit.galleryName}</td>
              <td>
                {audit.runIds.map((runId) => (
                  <Link key={runId} href={`/runs/${runId}`}>
                    {shortId(runId)}{' '}
                  </Link>
                ))}
              </td>
              <td>{audit.scope}</td>
              <td className="num">
                {formatNumber(audit.threshold, 3)} / {formatNumber(audit.thresholdAngle, 3)}
              </td>
              <td className="num">
                {audit.summary ? `${audit.summary.flaggedIdentities} / ${audit.summary.identitiesAudited}` : '—'}
              </td>
              <td className="num">{audit.summary ? formatNumber(audit.summary.leakageRate, 3) : '—'}</td>
              <td>{formatDate(audit.createdAt)}</td>
            </tr>
          ))}
          {data && nodes(data.leakageAudits).length === 0 && (
            <tr>
              <td colSpan={9} className="muted">
                No audit yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

function Audit({ id }: { id: string }) {
  const [{ data, error }, refetch] = useQuery<{ leakageAudit: AuditDetail | null }>({
    query: auditQuery,
    variables: { id },
    requestPolicy: 'network-only',
  });
  // Each status change or finished shard: read the audit again (progress, then summary and matches).
  useSubscription({ query: auditProgressSubscription, variables: { auditId: id } }, () => {
    refetch({ requestPolicy: 'network-only' });
    return null;
  });
  const audit = data?.leakageAudit;
  const histogram = audit?.summary?.histogram;
  const bars = useMemo(() => {
    if (!histogram) return null;
    const audited = histogram.identityMaxSimilarity.reduce((sum, count) => sum + count, 0) || 1;
    const width = histogram.binStarts.length > 1 ? histogram.binStarts[1]! - histogram.binStarts[0]! : 1;
    const series: HistogramSeries[] = [
      {
        label: 'identities: max similarity (share)',
        values: histogram.identityMaxSimilarity.map((c) => c / audited),
        color: '#dc2626',
      },
      { label: 'gallery impostor pairs (share)', values: histogram.galleryImpostors, color: '#2563eb' },
    ];
    return { centers: histogram.binStarts.map((start) => start + width / 2), series };
  }, [histogram]);

  if (error) return <ErrorBox error={error} />;
  if (!data) return <p className="muted">Loading audit…</p>;
  if (!audit) return <p className="error">No audit {id}.</p>;
  const { summary } = audit;
  return (
    <section>
      <h1>
        Audit <code>{shortId(audit.id)}</code> <StatusBadge status={audit.status} />
      </h1>
      {audit.error && <p className="error">{audit.error}</p>}
      <dl className="facts">
        <dt>Gallery</dt>
        <dd>
          {audit.galleryName} <code>{audit.galleryDigest.slice(0, 12)}</code>
        </dd>
        <dt>Runs</dt>
        <dd>
          {audit.runIds.map((runId) => (
            <Link key={runId} href={`/runs/${runId}`}>
              {shortId(runId)}{' '}
            </Link>
          ))}{' '}
          ({audit.scope}, top {audit.topK})
        </dd>
        <dt>Threshold</dt>
        <dd>
          cosine {formatNumber(audit.threshold, 4)} = {formatNumber(audit.thresholdAngle, 4)} rad (
          {audit.thresholdSource}
          {audit.falseMatchRate !== null
            ? `, false-match rate ${formatNumber(audit.falseMatchRate, 5)} on the gallery's impostors`
            : ''}
          )
        </dd>
        <dt>Progress</dt>
        <dd>
          {audit.shardsDone}/{audit.shardCount} shards, {audit.queryCount} synthetic embeddings
        </dd>
        <dt>Recognizer</dt>
        <dd>
          <code>{audit.recognizerDigest.slice(0, 12)}</code>
        </dd>
      </dl>

      {summary && (
        <>
          <h2>Summary</h2>
          <dl className="facts" data-testid="audit-summary">
            <dt>Flagged identities</dt>
            <dd>
              {summary.flaggedIdentities} of {summary.identitiesAudited} (leakage rate{' '}
              {formatNumber(summary.leakageRate, 4)})
            </dd>
            <dt>Flagged samples</dt>
            <dd>
              {summary.flaggedSamples} of {summary.samplesAudited} ({formatNumber(summary.sampleLeakageRate, 4)})
            </dd>
            <dt>Highest similarity</dt>
            <dd>{formatNumber(summary.maxSimilarity, 4)}</dd>
          </dl>
          {bars && (
            <Histogram
              title="Maximum similarity of each identity to the gallery, against the gallery's impostor distribution"
              xLabel="cosine similarity"
              binStarts={bars.centers}
              series={bars.series}
            />
          )}
        </>
      )}

      {audit.status === 'SUCCEEDED' && audit.matches.totalCount > 0 && (
        <RerunWithExclusion key={audit.id} auditId={audit.id} thresholdAngle={audit.thresholdAngle} />
      )}

      <h2>Flagged pairs</h2>
      <p className="muted">
        {audit.matches.totalCount} matches above the threshold, most similar first
        {audit.matches.totalCount > flaggedPageSize ? ` (the first ${flaggedPageSize} shown)` : ''}.
      </p>
      <div className="pairs" data-testid="flagged-pairs">
        {audit.matches.edges.map(({ node }) => (
          <div key={node.id} className="pair">
            <Link href={`/identities/${node.identityId}`}>
              <img src={node.syntheticImageUrl.url} alt="synthetic" width={96} height={96} />
            </Link>
            {node.galleryImageUrl ? (
              <img
                src={node.galleryImageUrl.url}
                alt={`gallery subject ${node.subject?.label ?? ''}`}
                width={96}
                height={96}
              />
            ) : (
              <div className="no-image">no gallery image</div>
            )}
            <span>
              cos {formatNumber(node.similarity, 3)} · {formatNumber(node.distance, 3)} rad · rank {node.rank}
              <br />
              subject {node.subject ? `${node.subject.label} (row ${node.subject.row})` : 'deleted'}
              {node.sampleId ? ' · sample' : ''}
            </span>
          </div>
        ))}
      </div>
    </section>
  );
}

interface RunChoice {
  id: string;
  kind: RunKind;
  createdAt: string;
  modelPack: { id: string; name: string };
}

type ThresholdKind = 'cosine' | 'angle' | 'targetFalseMatchRate';

/** Audits succeeded runs against a READY gallery; the API checks that they share a recognizer. */
function NewAudit() {
  const [{ data: galleries }] = useQuery<{ galleries: Connection<Gallery> }>({ query: galleriesQuery });
  const [{ data: runs }] = useQuery<{ runs: Connection<RunChoice> }>({
    query: succeededRunsQuery,
    requestPolicy: 'network-only',
  });
  const ready = nodes(galleries?.galleries).filter((gallery) => gallery.status === 'READY');
  const [galleryId, setGalleryId] = useState('');
  const [runIds, setRunIds] = useState<string[]>([]);
  const [scope, setScope] = useState('IDENTITIES');
  const [thresholdKind, setThresholdKind] = useState<ThresholdKind>('targetFalseMatchRate');
  const [threshold, setThreshold] = useState('0.001');
  const [topK, setTopK] = useState('5');
  const [state, start] = useMutation<{ startLeakageAudit: { id: string } }>(startLeakageAuditMutation);
  const [, navigate] = useLocation();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await start({
      input: {
        galleryId: galleryId || ready[0]?.id,
        runIds,
        scope,
        topK: Number(topK),
        threshold: { [thresholdKind]: Number(threshold) },
      },
    });
    if (result.data) navigate(`/audits/${result.data.startLeakageAudit.id}`);
  };

  return (
    <details className="panel" data-testid="new-audit">
      <summary>New audit</summary>
      <form className="form" onSubmit={(event) => void submit(event)}>
        <label>
          Gallery
          <select name="gallery" value={galleryId || ready[0]?.id || ''} onChange={(e) => setGalleryId(e.target.value)}>
            {ready.map((gallery) => (
              <option key={gallery.id} value={gallery.id}>
                {gallery.name} ({gallery.subjectCount} rows)
              </option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>Succeeded runs to audit</legend>
          {nodes(runs?.runs).map((run) => (
            <label key={run.id} className="check">
              <input
                type="checkbox"
                value={run.id}
                checked={runIds.includes(run.id)}
                onChange={(e) =>
                  setRunIds((c) => (e.target.checked ? [...c, run.id] : c.filter((other) => other !== run.id)))
                }
              />
              {run.kind} {shortId(run.id)} · {run.modelPack.name} · {formatDate(run.createdAt)}
            </label>
          ))}
        </fieldset>
        <label>
          Scope
          <select name="scope" value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value="IDENTITIES">identities</option>
            <option value="SAMPLES">samples</option>
            <option value="BOTH">both</option>
          </select>
        </label>
        <label>
          Threshold given as
          <select
            name="thresholdKind"
            value={thresholdKind}
            onChange={(e) => setThresholdKind(e.target.value as ThresholdKind)}
          >
            <option value="targetFalseMatchRate">target false-match rate on the gallery</option>
            <option value="cosine">cosine similarity</option>
            <option value="angle">angle (rad)</option>
          </select>
        </label>
        <label>
          Threshold
          <input
            name="threshold"
            type="number"
            step="any"
            value={threshold}
            onChange={(e) => setThreshold(e.target.value)}
            required
          />
        </label>
        <label>
          Top k
          <input name="topK" type="number" min={1} max={100} value={topK} onChange={(e) => setTopK(e.target.value)} />
        </label>
        <button type="submit" disabled={state.fetching || runIds.length === 0 || ready.length === 0}>
          Start audit
        </button>
        <ErrorBox error={state.error} />
      </form>
    </details>
  );
}

/** The paper's loop: rerun the audited Langevin run with the gallery as exclusion set, audited again. */
function RerunWithExclusion({ auditId, thresholdAngle }: { auditId: string; thresholdAngle: number }) {
  const [distance, setDistance] = useState(thresholdAngle.toFixed(3));
  const [state, rerun] = useMutation<{ rerunWithExclusion: { runId: string; audit: { id: string } } }>(
    rerunWithExclusionMutation,
  );
  const result = state.data?.rerunWithExclusion;
  return (
    <>
      <h2>Rerun with exclusion</h2>
      <form
        className="form inline"
        data-testid="rerun-with-exclusion"
        onSubmit={(event) => {
          event.preventDefault();
          void rerun({ auditId, exclusionDistance: Number(distance) });
        }}
      >
        <label>
          Exclusion distance c0 (rad)
          <input
            name="exclusionDistance"
            type="number"
            step="any"
            min={0}
            value={distance}
            onChange={(e) => setDistance(e.target.value)}
            required
          />
        </label>
        <button type="submit" disabled={state.fetching || result !== undefined}>
          Rerun excluding the gallery
        </button>
        <ErrorBox error={state.error} />
      </form>
      {result && (
        <p data-testid="rerun-result">
          Started run <Link href={`/runs/${result.runId}`}>{shortId(result.runId)}</Link>, audited by{' '}
          <Link href={`/audits/${result.audit.id}`}>{shortId(result.audit.id)}</Link> when it finishes.
        </p>
      )}
    </>
  );
}
