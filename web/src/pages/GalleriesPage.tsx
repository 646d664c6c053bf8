import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useClient, useMutation, useQuery, useSubscription } from 'urql';
import { createGalleryMutation, galleriesQuery, galleryStatusSubscription, modelPacksQuery } from '../api/documents';
import { nodes, type Connection, type Gallery, type ModelPack } from '../api/types';
import { uploadFile } from '../api/upload';
import { ErrorBox } from '../components/ErrorBox';
import { StatusBadge } from '../components/StatusBadge';
import { formatDate } from '../format';

/** Galleries of real-face embeddings (auditors and admins only), and a form that makes one from an upload. */
export function GalleriesPage() {
  const [{ data, error }, refetch] = useQuery<{ galleries: Connection<Gallery> }>({ query: galleriesQuery });
  const galleries = nodes(data?.galleries);
  const reload = useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch]);
  return (
    <section>
      <h1>Galleries</h1>
      <NewGallery onCreated={reload} />
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
          {galleries.map((gallery) => (
            <tr key={gallery.id} data-gallery-id={gallery.id}>
              <td>{gallery.name}</td>
              <td>
                {gallery.status === 'PENDING' ? (
                  <LiveStatus galleryId={gallery.id} onSettled={reload} />
                ) : (
                  <Status status={gallery.status} error={gallery.error} />
                )}
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
          {data && galleries.length === 0 && (
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

/**
 * An embeddings file (raw little-endian float32, which needs its dimension and count, or a .npy
 * that carries its shape) and an optional labels file, uploaded to the store, then createGallery.
 */
function NewGallery({ onCreated }: { onCreated: () => void }) {
  const client = useClient();
  const [{ data: packs }] = useQuery<{ modelPacks: Connection<ModelPack> }>({ query: modelPacksQuery });
  const packList = nodes(packs?.modelPacks).filter((pack) => pack.status === 'READY');
  const [name, setName] = useState('');
  const [packId, setPackId] = useState('');
  const [embeddings, setEmbeddings] = useState<File | null>(null);
  const [labels, setLabels] = useState<File | null>(null);
  const [dim, setDim] = useState('');
  const [count, setCount] = useState('');
  const [uploading, setUploading] = useState(false);
  const [uploadError, setUploadError] = useState<Error | null>(null);
  const [state, create] = useMutation(createGalleryMutation);
  const isNpy = embeddings?.name.toLowerCase().endsWith('.npy') ?? false;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!embeddings) return;
    setUploadError(null);
    setUploading(true);
    try {
      const input: Record<string, unknown> = {
        name,
        modelPackId: packId || packList[0]?.id,
        embeddingsKey: await uploadFile(client, embeddings),
      };
      if (labels) input.labelsKey = await uploadFile(client, labels);
      if (dim) input.embeddingDim = Number(dim);
      if (count) input.count = Number(count);
      const result = await create({ input });
      if (result.data) onCreated();
    } catch (error) {
      setUploadError(error instanceof Error ? error : new Error(String(error)));
    } finally {
      setUploading(false);
    }
  };

  return (
    <details className="panel" data-testid="new-gallery">
      <summary>New gallery from an embeddings file</summary>
      <form className="form" onSubmit={(event) => void submit(event)}>
        <label>
          Gallery name
          <input name="galleryName" value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Embeddings (.npy, or raw float32)
          <input name="embeddings" type="file" onChange={(e) => setEmbeddings(e.target.files?.[0] ?? null)} required />
        </label>
        {!isNpy && (
          <>
            <label>
              Embedding dimension (raw files)
              <input name="embeddingDim" type="number" min={1} value={dim} onChange={(e) => setDim(e.target.value)} />
            </label>
            <label>
              Embedding count (raw files)
              <input name="count" type="number" min={1} value={count} onChange={(e) => setCount(e.target.value)} />
            </label>
          </>
        )}
        <label>
          Labels, one per line (optional; default: row numbers)
          <input name="labels" type="file" onChange={(e) => setLabels(e.target.files?.[0] ?? null)} />
        </label>
        <label>
          Recognizer of the pack
          <select
            name="galleryPack"
            value={packId || packList[0]?.id || ''}
            onChange={(e) => setPackId(e.target.value)}
          >
            {packList.map((pack) => (
              <option key={pack.id} value={pack.id}>
                {pack.name} ({pack.digest.slice(0, 8)})
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={uploading || state.fetching || !embeddings}>
          {uploading ? 'Uploading…' : 'Create gallery'}
        </button>
        <ErrorBox error={uploadError ?? state.error} />
      </form>
    </details>
  );
}

function Status({ status, error }: { status: string; error: string | null }) {
  return (
    <>
      <StatusBadge status={status} />
      {error && <div className="error small">{error}</div>}
    </>
  );
}

interface GalleryStatusEvent {
  galleryId: string;
  status: string;
  error: string | null;
}

/** A PENDING gallery follows galleryStatus; once it settles the list is read again for its counts and digests. */
function LiveStatus({ galleryId, onSettled }: { galleryId: string; onSettled: () => void }) {
  const [{ data, error }] = useSubscription<{ galleryStatus: GalleryStatusEvent }, GalleryStatusEvent | null>(
    { query: galleryStatusSubscription, variables: { id: galleryId } },
    (_previous, event) => event.galleryStatus,
  );
  const settled = data !== undefined && data !== null && data.status !== 'PENDING';
  useEffect(() => {
    if (settled) onSettled();
  }, [settled, onSettled]);
  if (error) return <ErrorBox error={error} />;
  return <Status status={data?.status ?? 'PENDING'} error={data?.error ?? null} />;
}
