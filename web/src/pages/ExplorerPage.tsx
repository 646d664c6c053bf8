import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { useMemo } from 'react';

const defaultQuery = `# The API key you signed in with is sent with every request.
query RecentRuns {
  runs(first: 10) {
    totalCount
    edges { node { id kind status iteration totalIterations createdAt } }
  }
}
`;

/** GraphiQL, bundled with its editor and workers: the explorer works without internet access. */
export default function ExplorerPage({ apiKey }: { apiKey: string }) {
  const fetcher = useMemo(() => {
    const authorization = `Bearer ${apiKey}`;
    return createGraphiQLFetcher({
      url: `${location.origin}/graphql`,
      subscriptionUrl: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
      headers: { authorization },
      wsConnectionParams: { Authorization: authorization },
    });
  }, [apiKey]);
  return (
    <div className="explorer" data-testid="explorer">
      <GraphiQL fetcher={fetcher} defaultQuery={defaultQuery} />
    </div>
  );
}
