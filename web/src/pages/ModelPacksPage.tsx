import { useQuery } from 'urql';
import { modelPacksPageQuery } from '../api/documents';
import { useSchemaFeatures } from '../api/schemaFeatures';
import { nodes, type Connection, type ModelPack } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { formatDate } from '../format';

/** Registered packs; the status column appears once the schema gives packs a status. */
export function ModelPacksPage() {
  const withStatus = useSchemaFeatures().has('ModelPack', 'status');
  const [{ data, error }] = useQuery<{ modelPacks: Connection<ModelPack> }>({ query: modelPacksPageQuery(withStatus) });
  return (
    <section>
      <h1>Model packs</h1>
      <ErrorBox error={error} />
      <table data-testid="packs-table">
        <thead>
          <tr>
            <th>Name</th>
            {withStatus && <th>Status</th>}
            <th>Digest</th>
            <th>Latent dim</th>
            <th>Embedding dim</th>
            <th>Registered</th>
          </tr>
        </thead>
        <tbody>
          {nodes(data?.modelPacks).map((pack) => (
            <tr key={pack.id}>
              <td>{pack.name}</td>
              {withStatus && <td>{pack.status}</td>}
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
