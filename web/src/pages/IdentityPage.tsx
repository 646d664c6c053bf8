import { useQuery } from 'urql';
import { Link } from 'wouter';
import { identityQuery, identityVariationsQuery } from '../api/documents';
import type { RunKind, RunRef, RunStatus } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { JsonView } from '../components/JsonView';
import { StatusBadge } from '../components/StatusBadge';
import { formatDate, formatNumber, shortId } from '../format';

interface IdentityData {
  identity: {
    id: string;
    index: number;
    imageUrl: { url: string };
    imageSha256: string;
    createdAt: string;
    run: { id: string; kind: RunKind; status: RunStatus };
    nearestIdentities: { angle: number; identity: { id: string; index: number; imageUrl: { url: string } } }[];
  } | null;
  lineage: {
    run: RunRef & {
      seed: string;
      parameters: Record<string, unknown>;
      provenance: { codeVersion: string | null; workerHost: string | null; executionProvider: string | null };
    };
    ancestors: RunRef[];
    modelPack: { id: string; name: string; digest: string };
    prov: Record<string, unknown>;
  };
}

/** An identity: its image, its nearest identities, its variations where they exist, and where it came from. */
export function IdentityPage({ id }: { id: string }) {
  const [{ data, error }] = useQuery<IdentityData>({ query: identityQuery, variables: { id } });
  if (error) return <ErrorBox error={error} />;
  if (!data) return <p className="muted">Loading identity…</p>;
  const { identity, lineage } = data;
  if (!identity) return <p className="error">No identity {id}.</p>;
  return (
    <section>
      <h1>
        Identity #{identity.index} <small className="muted">{shortId(identity.id)}</small>
      </h1>
      <div className="identity">
        <img
          src={identity.imageUrl.url}
          alt={`identity ${identity.index}`}
          width={256}
          height={256}
          data-testid="identity-image"
        />
        <dl className="facts">
          <dt>Run</dt>
          <dd>
            <Link href={`/runs/${identity.run.id}`}>
              {identity.run.kind} {shortId(identity.run.id)}
            </Link>{' '}
            <StatusBadge status={identity.run.status} />
          </dd>
          <dt>Image sha256</dt>
          <dd>
            <code>{identity.imageSha256.slice(0, 16)}…</code>
          </dd>
          <dt>Created</dt>
          <dd>{formatDate(identity.createdAt)}</dd>
        </dl>
      </div>

      <h2>Nearest identities</h2>
      <div className="grid" data-testid="nearest">
        {identity.nearestIdentities.map(({ angle, identity: other }) => (
          <Link key={other.id} href={`/identities/${other.id}`} className="tile">
            <img src={other.imageUrl.url} alt={`identity ${other.index}`} loading="lazy" width={96} height={96} />
            <span>
              #{other.index} · {formatNumber(angle, 3)} rad
            </span>
          </Link>
        ))}
      </div>

      <Variations identityId={identity.id} />

      <h2>Lineage and provenance</h2>
      <ol className="lineage" data-testid="identity-lineage">
        <li>
          model pack <Link href="/packs">{lineage.modelPack.name}</Link>{' '}
          <code>{lineage.modelPack.digest.slice(0, 12)}</code>
        </li>
        {[...lineage.ancestors].reverse().map((ancestor) => (
          <li key={ancestor.id}>
            ancestor run{' '}
            <Link href={`/runs/${ancestor.id}`}>
              {ancestor.kind} {shortId(ancestor.id)}
            </Link>{' '}
            <StatusBadge status={ancestor.status} />
          </li>
        ))}
        <li>
          produced by run{' '}
          <Link href={`/runs/${lineage.run.id}`}>
            {lineage.run.kind} {shortId(lineage.run.id)}
          </Link>{' '}
          seed <code>{lineage.run.seed}</code> on {lineage.run.provenance.workerHost ?? '—'} (
          {lineage.run.provenance.executionProvider ?? '—'}), code {lineage.run.provenance.codeVersion ?? '—'}
        </li>
        <li>
          <strong>identity #{identity.index}</strong>
        </li>
      </ol>
      <JsonView value={lineage.run.parameters} summary="Parameters of the producing run" />
      <JsonView value={lineage.prov} summary="W3C PROV-JSON" />
    </section>
  );
}

interface VariationsData {
  identity: {
    samples: {
      id: string;
      label: number;
      variation: number;
      imageUrl: { url: string };
      run: { id: string; kind: RunKind };
    }[];
  } | null;
}

/** Samples of this identity from Dispersion or DisCo runs. */
function Variations({ identityId }: { identityId: string }) {
  const [{ data, error }] = useQuery<VariationsData>({ query: identityVariationsQuery, variables: { id: identityId } });
  const samples = data?.identity?.samples;
  return (
    <>
      <h2>Variations</h2>
      <ErrorBox error={error} />
      {samples && samples.length === 0 && (
        <p className="muted">No Dispersion or DisCo run has varied this identity yet.</p>
      )}
      <div className="grid" data-testid="variations">
        {samples?.map((node) => (
          <Link key={node.id} href={`/runs/${node.run.id}`} className="tile">
            <img src={node.imageUrl.url} alt={`variation ${node.variation}`} loading="lazy" width={96} height={96} />
            <span>
              {node.run.kind} v{node.variation}
            </span>
          </Link>
        ))}
      </div>
    </>
  );
}
