import { useState } from 'react';
import { useQuery } from 'urql';
import { Link } from 'wouter';
import { runIdentitiesQuery } from '../api/documents';
import type { IdentityTile } from '../api/types';
import { formatNumber } from '../format';
import { ErrorBox } from './ErrorBox';

interface IdentitiesPage {
  run: {
    identities: {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: { node: IdentityTile }[];
    };
  } | null;
}

/** A run's identity images with each one's nearest-neighbour angle, a page at a time. */
export function IdentityGrid({ runId }: { runId: string }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [{ data, error }] = useQuery<IdentitiesPage>({
    query: runIdentitiesQuery,
    variables: { id: runId, after: cursors[cursors.length - 1] ?? null },
    requestPolicy: 'network-only',
  });
  const identities = data?.run?.identities;
  if (error) return <ErrorBox error={error} />;
  if (!identities) return <p className="muted">Loading identities…</p>;
  if (identities.totalCount === 0)
    return <p className="muted">No identities yet: they appear when the run succeeds.</p>;
  return (
    <div>
      <p className="muted">
        {identities.totalCount} identities; under each, the angle (rad) to its nearest neighbour in this run.
      </p>
      <div className="grid" data-testid="identity-grid">
        {identities.edges.map(({ node }) => (
          <Link key={node.id} href={`/identities/${node.id}`} className="tile">
            <img src={node.imageUrl.url} alt={`identity ${node.index}`} loading="lazy" width={96} height={96} />
            <span>
              #{node.index} · {formatNumber(node.nearestIdentities[0]?.angle, 3)}
            </span>
          </Link>
        ))}
      </div>
      <div className="pager">
        <button type="button" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
          ← Previous
        </button>
        <button
          type="button"
          disabled={!identities.pageInfo.hasNextPage}
          onClick={() => setCursors((c) => [...c, identities.pageInfo.endCursor])}
        >
          Next →
        </button>
      </div>
    </div>
  );
}
