import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { Link } from 'wouter';
import {
  createDatasetMutation,
  datasetsQuery,
  exportDatasetMutation,
  exportProgressSubscription,
  succeededRunsQuery,
} from '../api/documents';
import { nodes, type Connection, type RunKind, type RunRef } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { StatusBadge } from '../components/StatusBadge';
import { formatBytes, formatDate, shortId } from '../format';
import { canOperate, type Role } from '../session';

type ExportStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

interface DatasetExport {
  id: string;
  format: string;
  status: ExportStatus;
  done: number;
  total: number;
  size: number | null;
  sha256: string | null;
  error: string | null;
  options: Record<string, unknown>;
  createdAt: string;
  finishedAt: string | null;
  downloadUrl: string | null;
}

interface Dataset {
  id: string;
  name: string;
  digest: string;
  identityCount: number;
  sampleCount: number;
  createdAt: string;
  manifestUrl: string;
  runs: RunRef[];
  exports: DatasetExport[];
}

/** Datasets frozen from finished runs, their exports with progress and downloads; operators create and export. */
export function DatasetsPage({ role }: { role: Role }) {
  const [{ data, error }, refetch] = useQuery<{ datasets: Connection<Dataset> }>({ query: datasetsQuery });
  const datasets = nodes(data?.datasets);
  const reload = useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch]);

  return (
    <section>
      <h1>Datasets</h1>
      {canOperate(role) && <NewDataset onCreated={reload} />}
      <ErrorBox error={error} />
      {data && datasets.length === 0 && <p className="muted">No dataset yet.</p>}
      {datasets.map((dataset) => (
        <article key={dataset.id} className="dataset" data-testid="dataset" data-dataset-id={dataset.id}>
          <h2>
            {dataset.name} <small className="muted">{shortId(dataset.id)}</small>
          </h2>
          <dl className="facts">
            <dt>Content</dt>
            <dd>
              {dataset.identityCount} identities, {dataset.sampleCount} samples
            </dd>
            <dt>Runs</dt>
            <dd>
              {dataset.runs.map((run) => (
                <span key={run.id}>
                  <Link href={`/runs/${run.id}`}>
                    {run.kind} {shortId(run.id)}
                  </Link>{' '}
                </span>
              ))}
            </dd>
            <dt>Digest</dt>
            <dd>
              <code>{dataset.digest.slice(0, 16)}…</code> (<a href={dataset.manifestUrl}>manifest</a>)
            </dd>
            <dt>Created</dt>
            <dd>{formatDate(dataset.createdAt)}</dd>
          </dl>
          <table className="exports" data-testid="exports-table">
            <thead>
              <tr>
                <th>Export</th>
                <th>Format</th>
                <th>Options</th>
                <th>Status</th>
                <th>Progress</th>
                <th>Size</th>
                <th>sha256</th>
                <th>Download</th>
              </tr>
            </thead>
            <tbody>
              {dataset.exports.map((item) => (
                <tr key={item.id} data-export-id={item.id}>
                  <td>{shortId(item.id)}</td>
                  <td>{item.format}</td>
                  <td>
                    <code>{JSON.stringify(item.options)}</code>
                  </td>
                  {item.status === 'QUEUED' || item.status === 'RUNNING' ? (
                    <LiveProgress exportId={item.id} onSettled={reload} />
                  ) : (
                    <Progress status={item.status} done={item.done} total={item.total} error={item.error} />
                  )}
                  <td className="num">{item.size === null ? '—' : formatBytes(item.size)}</td>
                  <td>{item.sha256 ? <code>{item.sha256.slice(0, 12)}</code> : '—'}</td>
                  <td>{item.downloadUrl ? <a href={item.downloadUrl}>download .tar</a> : '—'}</td>
                </tr>
              ))}
              {dataset.exports.length === 0 && (
                <tr>
                  <td colSpan={8} className="muted">
                    Not exported yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
          {canOperate(role) && <NewExport datasetId={dataset.id} onQueued={reload} />}
        </article>
      ))}
    </section>
  );
}

interface RunChoice {
  id: string;
  kind: RunKind;
  createdAt: string;
  totalIterations: number;
  modelPack: { id: string; name: string };
}

function NewDataset({ onCreated }: { onCreated: () => void }) {
  const [{ data: runs }] = useQuery<{ runs: Connection<RunChoice> }>({
    query: succeededRunsQuery,
    requestPolicy: 'network-only',
  });
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [state, create] = useMutation(createDatasetMutation);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await create({ name, runIds: chosen });
    if (result.data) {
      setName('');
      setChosen([]);
      onCreated();
    }
  };
  return (
    <details className="panel" data-testid="new-dataset">
      <summary>New dataset</summary>
      <form className="form" onSubmit={(event) => void submit(event)}>
        <label>
          Dataset name
          <input name="datasetName" value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <fieldset>
          <legend>Succeeded runs to freeze into it</legend>
          {nodes(runs?.runs).map((run) => (
            <label key={run.id} className="check">
              <input
                type="checkbox"
                value={run.id}
                checked={chosen.includes(run.id)}
                onChange={(e) =>
                  setChosen((c) => (e.target.checked ? [...c, run.id] : c.filter((id) => id !== run.id)))
                }
              />
              {run.kind} {shortId(run.id)} · {run.modelPack.name} · {formatDate(run.createdAt)}
            </label>
          ))}
          {runs && nodes(runs.runs).length === 0 && <p className="muted">No run has succeeded yet.</p>}
        </fieldset>
        <button type="submit" disabled={state.fetching || chosen.length === 0}>
          Create dataset
        </button>
        <ErrorBox error={state.error} />
      </form>
    </details>
  );
}

function NewExport({ datasetId, onQueued }: { datasetId: string; onQueued: () => void }) {
  const [format, setFormat] = useState('IMAGE_FOLDER');
  const [content, setContent] = useState('SAMPLES');
  const [crop, setCrop] = useState('ALIGNED');
  const [state, start] = useMutation(exportDatasetMutation);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await start({ datasetId, format, options: { content, crop } });
    if (result.data) onQueued();
  };
  return (
    <form className="form inline" onSubmit={(event) => void submit(event)} data-testid="new-export">
      <label>
        Format
        <select name="format" value={format} onChange={(e) => setFormat(e.target.value)}>
          <option value="IMAGE_FOLDER">ImageFolder tar</option>
          <option value="INSIGHTFACE_REC">insightface RecordIO</option>
          <option value="WEBDATASET">WebDataset shards</option>
        </select>
      </label>
      <label>
        Content
        <select name="content" value={content} onChange={(e) => setContent(e.target.value)}>
          <option value="SAMPLES">samples</option>
          <option value="IDENTITIES">identities</option>
          <option value="BOTH">both</option>
        </select>
      </label>
      <label>
        Crop
        <select name="crop" value={crop} onChange={(e) => setCrop(e.target.value)}>
          <option value="ALIGNED">aligned (recognizer input)</option>
          <option value="FULL">full image</option>
        </select>
      </label>
      <button type="submit" disabled={state.fetching}>
        Export
      </button>
      <ErrorBox error={state.error} />
    </form>
  );
}

interface ExportProgressEvent {
  exportId: string;
  status: ExportStatus;
  done: number;
  total: number;
  error: string | null;
}

/** The status and progress cells of an export. */
function Progress({ status, done, total, error }: Omit<ExportProgressEvent, 'exportId'>) {
  return (
    <>
      <td title={error ?? undefined}>
        <StatusBadge status={status} />
        {error && <div className="error small">{error}</div>}
      </td>
      <td>
        <progress max={total || 1} value={done} /> {done}/{total}
      </td>
    </>
  );
}

/**
 * An unfinished export follows exportProgress (its state now, then each change); once it settles the
 * datasets are read again for what only a finished export has (size, sha256, download URL).
 */
function LiveProgress({ exportId, onSettled }: { exportId: string; onSettled: () => void }) {
  const [{ data, error }] = useSubscription<{ exportProgress: ExportProgressEvent }, ExportProgressEvent | null>(
    { query: exportProgressSubscription, variables: { id: exportId } },
    (_previous, event) => event.exportProgress,
  );
  const settled = data?.status === 'SUCCEEDED' || data?.status === 'FAILED';
  useEffect(() => {
    if (settled) onSettled();
  }, [settled, onSettled]);
  if (error)
    return (
      <td colSpan={2}>
        <ErrorBox error={error} />
      </td>
    );
  return data ? <Progress {...data} /> : <Progress status="QUEUED" done={0} total={0} error={null} />;
}
