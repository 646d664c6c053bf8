import { createServer, type Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
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
  const httpServer: Server = createServer(app);
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: config.limits.maxBodyBytes });
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
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
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

  await new Promise<void>((resolveListen) => httpServer.listen(config.port, config.host, resolveListen));
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
