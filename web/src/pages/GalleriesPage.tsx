import { useQuery } from 'urql';
import { galleriesQuery } from '../api/documents';
import { nodes, type Connection, type Gallery } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { StatusBadge } from '../components/StatusBadge';
import { formatDate } from '../format';

/** Galleries of real-face embeddings (auditors and admins only). */
export function GalleriesPage() {
  const [{ data, error }] = useQuery<{ galleries: Connection<Gallery> }>({ query: galleriesQuery });
  return (
    <section>
      <h1>Galleries</h1>
      <ErrorBox error={error} />
      <table data-testid="galleries-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Status</th>
            <th>Subjects</th>
            <th>Impostor pairs</th>
            <th>Embedding dim</th>
            <th>Digest</th>
            <th>Recognizer</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {nodes(data?.galleries).map((gallery) => (
            <tr key={gallery.id}>
              <td>{gallery.name}</td>
              <td title={gallery.error ?? undefined}>
                <StatusBadge status={gallery.status} />
              </td>
              <td className="num">{gallery.subjectCount}</td>
              <td className="num">{gallery.impostorPairs}</td>
              <td className="num">{gallery.embeddingDim}</td>
              <td>
                <code>{gallery.digest.slice(0, 16)}…</code>
              </td>
              <td>
                <code>{gallery.recognizerDigest.slice(0, 12)}</code>
              </td>
              <td>{formatDate(gallery.createdAt)}</td>
            </tr>
          ))}
          {data && nodes(data.galleries).length === 0 && (
            <tr>
              <td colSpan={8} className="muted">
                No gallery yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
