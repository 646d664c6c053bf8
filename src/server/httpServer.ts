import { createServer, type Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError, OperationTypeNode, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { bearerToken, isKeyActive, type Principal } from '../auth/apiKeys.js';
import { keyRevokedChannel } from '../auth/revocations.js';
import { isDatabaseUnavailable } from '../core/db/unavailable.js';
import { listenForNotifications } from '../core/events/notificationListener.js';
import type { ApiServices, GraphQLContext } from '../graphql/context.js';
import { badUserInput, ErrorCode, serviceUnavailable } from '../graphql/errors.js';
import { createLoaders } from '../graphql/loaders.js';
import { apiRules } from '../graphql/rules/index.js';
import { findMalformedText, malformedTextMessage } from '../graphql/wellFormedText.js';
import type { ApiKeyId } from '../core/ids/ids.js';
import { createErrorFormatter, statusForErrors } from './errorFormatting.js';
import { healthEndpoint } from './health.js';
import { errorResponder, graphqlBodyGuard, graphqlRequestGuard, notFoundResponder } from './requestGuards.js';
import { revokedCloseCode, SocketSessions } from './socketSessions.js';
import { corsMiddleware } from './cors.js';
import { mutationAuditPlugin } from './mutationAudit.js';
import { objectRoutes } from './objectRoutes.js';
import { PortInUseError } from './PortInUseError.js';
import { serveWebApp } from './webApp.js';

export interface ApiServer {
  url: string;
  close(): Promise<void>;
}

/** Parsing stops past this many tokens: the standard introspection query has about 400. */
const maxDocumentTokens = 20_000;

async function principalFor(services: ApiServices, header: unknown): Promise<Principal> {
  const token = bearerToken(header);
  let principal: Principal | undefined;
  try {
    principal = token ? await services.keys.authenticate(token) : undefined;
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw serviceUnavailable('the database');
    throw error;
  }
  if (!principal) {
    throw new GraphQLError(token ? 'API key is not valid or was revoked' : 'missing Authorization: Bearer <API key>', {
      extensions: { code: ErrorCode.Unauthenticated, http: { status: 401 } },
    });
  }
  return principal;
}

function contextFor(services: ApiServices, principal: Principal, host: unknown): GraphQLContext {
  return { principal, services, loaders: createLoaders(services.prisma), origin: originOf(host) };
}

const hostPattern = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/** The origin a client reached this server at, from its Host header; undefined when the header is not a host. */
function originOf(host: unknown): string | undefined {
  return typeof host === 'string' && hostPattern.test(host) ? `http://${host}` : undefined;
}

/** GraphQL over HTTP and WebSocket on /graphql, with /healthz and /metrics beside it. */
export async function startApiServer(
  services: ApiServices,
  schema: GraphQLSchema,
  metrics: Registry,
): Promise<ApiServer> {
  const { config, log } = services;
  const app = express();
  app.use(corsMiddleware(config.corsOrigins));
  const httpServer: Server = createServer(app);
  const formatError = createErrorFormatter(log, config.exposeErrorDetails);
  const validationRules = apiRules(config.limits);
  const sessions = new SocketSessions();
  const revocations = await listenForNotifications(services.pool, [keyRevokedChannel], log, {
    onNotification: (_channel, keyId) => {
      services.keys.forget(keyId as ApiKeyId);
      const closed = sessions.close(keyId as ApiKeyId);
      if (closed > 0) log.info({ keyId, sockets: closed }, 'closed the sockets of a revoked API key');
    },
    // Revocations announced while this process could not listen: every open key is checked again.
    onResumed: async () => {
      services.keys.forgetAll();
      for (const keyId of sessions.keys()) if (!(await isKeyActive(services.prisma, keyId))) sessions.close(keyId);
    },
  });

  // Upgrades are routed here rather than by `{ server }`, with which ws re-emits the HTTP server's own errors
  // (a port in use) and graphql-ws prints them as internal errors; `listen` reports those.
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: config.limits.maxBodyBytes });
  httpServer.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/graphql') {
      socket.destroy();
      return;
    }
    wsServer.handleUpgrade(req, socket, head, (ws) => wsServer.emit('connection', ws, req));
  });
  const wsCleanup = useServer<Record<string, unknown>, { principal?: Principal }>(
    {
      schema,
      validate: (wsSchema, document) =>
        validate(wsSchema, document, [...specifiedRules, ...validationRules], { maxErrors: 100 }),
      onConnect: async (ctx) => {
        try {
          const principal = await principalFor(
            services,
            ctx.connectionParams?.Authorization ?? ctx.connectionParams?.authorization,
          );
          ctx.extra.principal = principal;
          sessions.add(principal.keyId, ctx.extra.socket, principal.expiresAt);
          return true;
        } catch (error) {
          const code = error instanceof GraphQLError ? error.extensions.code : ErrorCode.Internal;
          ctx.extra.socket.close(
            code === ErrorCode.Unauthenticated ? 4401 : 4503,
            `${String(code)}: ${(error as Error).message}`.slice(0, 120),
          );
          return false;
        }
      },
      // A key revoked or expired since the socket opened stops working at its next operation, even
      // if the revocation's notification was missed.
      onSubscribe: async (ctx, _id, payload) => {
        const { principal } = ctx.extra;
        if (!principal)
          return [new GraphQLError('not authenticated', { extensions: { code: ErrorCode.Unauthenticated } })];
        const malformed = findMalformedText(payload.variables, 'variables');
        if (malformed) return [badUserInput([{ field: malformed, message: malformedTextMessage }])];
        let active: boolean;
        try {
          active = await isKeyActive(services.prisma, principal.keyId);
        } catch (error) {
          if (isDatabaseUnavailable(error)) return [serviceUnavailable('the database')];
          throw error;
        }
        if (!active) {
          ctx.extra.socket.close(revokedCloseCode, 'FORBIDDEN: the API key was revoked');
          return [new GraphQLError('the API key was revoked', { extensions: { code: ErrorCode.Forbidden } })];
        }
        return undefined;
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!('errors' in result) || !result.errors) return result;
        const errors = result.errors.map((error) => {
          const formatted = formatError(error.toJSON(), error);
          return new GraphQLError(formatted.message, { path: formatted.path, extensions: formatted.extensions });
        });
        return { ...result, errors };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(error.toJSON(), error)),
      context: (ctx) => contextFor(services, ctx.extra.principal!, ctx.extra.request.headers.host),
    },
    wsServer,
  );

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    validationRules,
    parseOptions: { maxTokens: maxDocumentTokens },
    includeStacktraceInErrorResponses: config.exposeErrorDetails,
    introspection: true,
    // Apollo would stop itself on SIGINT/SIGTERM and re-send the signal, killing the process before the
    // platform has stopped its workers and embedded servers; the CLI owns shutdown (src/cli/termination.ts).
    stopOnTerminationSignals: false,
    plugins: [
      mutationAuditPlugin(schema),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // No cache hints are set or read (nothing caches GraphQL responses); the plugin would wrap every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
      {
        async requestDidStart() {
          return {
            // Over HTTP a subscription would run its resolvers once, as a query, with no event to resolve.
            async didResolveOperation({ operation }) {
              if (operation?.operation === OperationTypeNode.SUBSCRIPTION) {
                throw new GraphQLError('subscriptions are served over WebSocket (graphql-ws protocol) on /graphql', {
                  extensions: { code: ErrorCode.BadRequest, http: { status: 400 } },
                });
              }
            },
            async willSendResponse({ response }) {
              const status =
                response.body.kind === 'single' ? statusForErrors(response.body.singleResult.errors) : undefined;
              if (status !== undefined) response.http.status = status;
            },
          };
        },
      },
    ],
    formatError,
  });
  await apollo.start();

  // Before the web app, whose fallback answers every other GET with its page.
  if (services.objectUrls) app.use('/objects', objectRoutes(services.store, services.objectUrls, log));
  serveWebApp(app);

  const health = healthEndpoint(services);
  app.get('/healthz', (req, res) => health.handle(req, res));
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });
  app.use(
    '/graphql',
    graphqlRequestGuard,
    express.json({ limit: config.limits.maxBodyBytes }),
    graphqlBodyGuard,
    expressMiddleware(apollo, {
      context: async ({ req }) =>
        contextFor(services, await principalFor(services, req.headers.authorization), req.headers.host),
    }),
  );
  app.use(notFoundResponder);
  app.use(errorResponder(log, config.limits.maxBodyBytes));

  try {
    await listen(httpServer, config.port, config.host);
  } catch (error) {
    await apollo.stop();
    await revocations.stop();
    health.close();
    throw (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new PortInUseError(config.host, config.port) : error;
  }
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const origin = `http://${config.host}:${port}`;
  services.objectUrls?.serveAt(origin);
  const url = `${origin}/graphql`;
  log.info({ url }, 'GraphQL API listening');
  return {
    url,
    async close() {
      await revocations.stop();
      health.close();
      await apollo.stop();
    },
  };
}

/** The WebSocket server re-emits the HTTP server's errors; listening fails through this promise alone. */
function listen(httpServer: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolveListen, reject) => {
    const onError = (error: Error) => reject(error);
    httpServer.once('error', onError);
    httpServer.listen(port, host, () => {
      httpServer.off('error', onError);
      resolveListen();
    });
  });
}
