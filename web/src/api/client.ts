import { cacheExchange, Client, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';

export interface ApiConnection {
  client: Client;
  close(): void;
}

/** One urql client per signed-in key: queries over HTTP, subscriptions over graphql-ws on the same /graphql. */
export function connect(apiKey: string): ApiConnection {
  const authorization = `Bearer ${apiKey}`;
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  const ws: WsClient = createWsClient({
    url: wsUrl,
    connectionParams: { Authorization: authorization },
    lazy: true,
    retryAttempts: 5,
  });
  const client = new Client({
    url: '/graphql',
    fetchOptions: () => ({ headers: { authorization } }),
    requestPolicy: 'cache-and-network',
    // POST with a JSON body: Apollo's CSRF prevention refuses simple GET requests.
    preferGetMethod: false,
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });
  return { client, close: () => void ws.dispose() };
}
