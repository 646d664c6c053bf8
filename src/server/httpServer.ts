import { createServer, type Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GraphQLError, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { authenticate, bearerToken, type Principal } from '../auth/apiKeys.js';
import type { ApiServices, GraphQLContext } from '../graphql/context.js';
import { ErrorCode } from '../graphql/errors.js';
import { complexityLimit, depthLimit } from '../graphql/limits.js';
import { createLoaders } from '../graphql/loaders.js';
import { corsMiddleware } from './cors.js';
import { PortInUseError } from './PortInUseError.js';
import { serveWebApp } from './webApp.js';
import { liveWorkers } from './workerHealth.js';

export interface ApiServer {
  url: string;
  close(): Promise<void>;
}

async function principalFor(services: ApiServices, header: unknown): Promise<Principal> {
  const token = bearerToken(header);
  const principal = token ? await authenticate(services.prisma, token) : undefined;
  if (!principal) {
    throw new GraphQLError(token ? 'API key is not valid or was revoked' : 'missing Authorization: Bearer <API key>', {
      extensions: { code: ErrorCode.Unauthenticated, http: { status: 401 } },
    });
  }
  return principal;
}

function contextFor(services: ApiServices, principal: Principal): GraphQLContext {
  return { principal, services, loaders: createLoaders(services.prisma) };
}

/** GraphQL over HTTP and WebSocket on /graphql, with /healthz and /metrics beside it. */
export async function startApiServer(services: ApiServices, schema: GraphQLSchema, metrics: Registry): Promise<ApiServer> {
  const { config, log } = services;
  const app = express();
  app.use(corsMiddleware(config.corsOrigins));
  const httpServer: Server = createServer(app);
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
  const validationRules = [depthLimit(config.limits.maxDepth), complexityLimit(config.limits.maxComplexity)];
  const wsCleanup = useServer<Record<string, unknown>, { principal?: Principal }>(
    {
      schema,
      validate: (wsSchema, document) => validate(wsSchema, document, [...specifiedRules, ...validationRules]),
      onConnect: async (ctx) => {
        try {
          ctx.extra.principal = await principalFor(services, ctx.connectionParams?.Authorization ?? ctx.connectionParams?.authorization);
          return true;
        } catch (error) {
          ctx.extra.socket.close(4401, `${ErrorCode.Unauthenticated}: ${(error as Error).message}`);
          return false;
        }
      },
      context: (ctx) => contextFor(services, ctx.extra.principal!),
    },
    wsServer,
  );

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    validationRules,
    includeStacktraceInErrorResponses: false,
    introspection: true,
    // Apollo would stop itself on SIGINT/SIGTERM and re-send the signal, killing the process before the
    // platform has stopped its workers and embedded servers; the CLI owns shutdown (src/cli/termination.ts).
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
    ],
    formatError: (formatted, error) => {
      const code = formatted.extensions?.code;
      if (code === 'INTERNAL_SERVER_ERROR') log.error({ err: error }, 'GraphQL resolver failed');
      // Apollo files every validation failure under one code; our limit rules carry a more precise one.
      const original = error instanceof GraphQLError ? error.originalError : undefined;
      if (original instanceof GraphQLError && original.extensions.code === ErrorCode.QueryTooComplex) {
        return { ...formatted, extensions: { ...formatted.extensions, code: ErrorCode.QueryTooComplex } };
      }
      return formatted;
    },
  });
  await apollo.start();

  serveWebApp(app);

  app.get('/healthz', async (_req, res) => {
    const check = async (probe: () => Promise<unknown>) => {
      try {
        await probe();
        return 'ok';
      } catch (error) {
        return `error: ${(error as Error).message}`;
      }
    };
    const [database, objectStore] = await Promise.all([
      check(() => services.prisma.$queryRaw`SELECT 1`),
      check(() => services.store.ping()),
    ]);
    const workers = await liveWorkers(services.prisma, config.queue.heartbeatSeconds).catch(() => []);
    const healthy = database === 'ok' && objectStore === 'ok';
    res.status(healthy ? 200 : 503).json({
      status: healthy ? 'ok' : 'unavailable',
      database,
      objectStore,
      workers: workers.map((w) => ({ id: w.id, host: w.host, executionProvider: w.executionProvider, lastSeenAt: w.lastSeenAt })),
    });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });
  app.use(
    '/graphql',
    express.json({ limit: config.limits.maxBodyBytes }),
    expressMiddleware(apollo, {
      context: async ({ req }) => contextFor(services, await principalFor(services, req.headers.authorization)),
    }),
  );
  app.use((error: Error & { type?: string; status?: number }, _req: Request, res: Response, next: NextFunction) => {
    if (error.type === 'entity.too.large') {
      res.status(413).json({
        errors: [{ message: `request body exceeds ${config.limits.maxBodyBytes} bytes`, extensions: { code: ErrorCode.QueryTooComplex } }],
      });
      return;
    }
    next(error);
  });

  try {
    await listen(httpServer, config.port, config.host);
  } catch (error) {
    await apollo.stop();
    throw (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new PortInUseError(config.host, config.port) : error;
  }
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host}:${port}/graphql`;
  log.info({ url }, 'GraphQL API listening');
  return {
    url,
    async close() {
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
