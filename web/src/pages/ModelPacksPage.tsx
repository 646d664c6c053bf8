import { useQuery, useSubscription } from 'urql';
import { modelPackStatusSubscription, modelPacksPageQuery } from '../api/documents';
import { nodes, type Connection, type ModelPack, type PackStatus } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { StatusBadge } from '../components/StatusBadge';
import { formatDate } from '../format';

/** Registered packs with their dry-run status; a PENDING pack's row follows modelPackStatus until it settles. */
export function ModelPacksPage() {
  const [{ data, error }] = useQuery<{ modelPacks: Connection<ModelPack> }>({ query: modelPacksPageQuery });
  return (
    <section>
      <h1>Model packs</h1>
      <ErrorBox error={error} />
      <table data-testid="packs-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Status</th>
            <th>Digest</th>
            <th>Latent dim</th>
            <th>Embedding dim</th>
            <th>Registered</th>
          </tr>
        </thead>
        <tbody>
          {nodes(data?.modelPacks).map((pack) => (
            <tr key={pack.id} data-pack-id={pack.id}>
              <td>{pack.name}</td>
              <td>
                {pack.status === 'PENDING' ? (
                  <LiveStatus packId={pack.id} />
                ) : (
                  <Status status={pack.status} error={pack.error} />
                )}
              </td>
              <td>
                <code title={pack.digest}>{pack.digest.slice(0, 16)}…</code>
              </td>
              <td className="num">{pack.latentDim}</td>
              <td className="num">{pack.embeddingDim}</td>
              <td>{formatDate(pack.createdAt)}</td>
            </tr>
          ))}
          {data && nodes(data.modelPacks).length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                No pack registered yet: `brownian pack push`.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

function Status({ status, error }: { status: PackStatus; error: string | null }) {
  return (
    <>
      <StatusBadge status={status} />
      {error && <div className="error small">{error}</div>}
    </>
  );
}

interface PackStatusEvent {
  packId: string;
  status: PackStatus;
  error: string | null;
}

/** The subscription answers with the status now, then the settled one, then completes. */
function LiveStatus({ packId }: { packId: string }) {
  const [{ data, error }] = useSubscription<{ modelPackStatus: PackStatusEvent }>({
    query: modelPackStatusSubscription,
    variables: { id: packId },
  });
  if (error) return <ErrorBox error={error} />;
  return <Status status={data?.modelPackStatus.status ?? 'PENDING'} error={data?.modelPackStatus.error ?? null} />;
}
