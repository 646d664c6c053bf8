import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { issueApiKey } from '../auth/apiKeys.js';
import { KeyCache } from '../auth/keyCache.js';
import type { Config } from '../core/config/config.js';
import { openDatabase, type Database } from '../core/db/client.js';
import { migrate } from '../core/db/migrate.js';
import { startLineageDispatcher } from '../core/lineage/dispatcher.js';
import { startEmbeddedPostgres } from '../embedded/postgres.js';
import { startEmbeddedS3 } from '../embedded/s3.js';
import { EventHub } from '../core/events/eventHub.js';
import { auditCatchUpFrom } from '../core/events/auditCatchUp.js';
import { exportStates } from '../core/datasets/exportLifecycle.js';
import { runCatchUpFrom } from '../core/events/runCatchUp.js';
import { Role } from '../generated/prisma/enums.js';
import { createSchema } from '../graphql/schema.js';
import type { Logger } from '../core/logging/logger.js';
import { codeVersion } from '../provenance/codeVersion.js';
import { JobQueue } from '../core/queue/jobQueue.js';
import { startApiServer } from '../server/httpServer.js';
import { createMetricsRegistry, registerClusterMetrics } from '../server/metrics.js';
import { databaseDigestLedger } from '../core/store/digestLedger.js';
import { ObjectStore } from '../core/store/objectStore.js';
import { ApiObjectUrls } from '../core/store/objectUrls.js';
import { lowerWorkerPriority } from './workerPriority.js';
import { startWorkerThread } from './workerThread.js';

export interface PlatformOptions {
  api: boolean;
  worker: boolean;
  /**
   * Run the worker in a thread of its own, so that model runs (synchronous in onnxruntime-node)
   * never hold the API's requests: what `brownian start` does. Otherwise it shares this thread.
   */
  workerThread?: boolean;
}

export interface Platform {
  /** GraphQL endpoint, when the API runs in this process. */
  apiUrl: string | undefined;
  /** Set on the first start of an empty database: the only time the admin key is shown. */
  initialAdminKey: string | undefined;
  database: Database;
  store: ObjectStore;
  queue: JobQueue;
  stop(): Promise<void>;
}

/**
 * Starts what the configuration asks for: embedded Postgres and S3 when no external ones are
 * configured, migrations, the API and/or a worker. `stop` undoes it in reverse order.
 */
export async function startPlatform(config: Config, log: Logger, options: PlatformOptions): Promise<Platform> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.reverse()) {
      await step().catch((error: Error) => log.error({ err: error }, 'shutdown step failed'));
    }
    stops.length = 0;
  };
  try {
    let databaseUrl = config.databaseUrl;
    if (databaseUrl === undefined) {
      const postgres = await startEmbeddedPostgres(config.dataDir, log);
      stops.push(() => postgres.stop());
      databaseUrl = postgres.url;
    }
    let s3 = config.s3;
    // On the embedded default clients never reach the S3 server: the API signs and serves object URLs.
    let objectUrls: ApiObjectUrls | undefined;
    if (s3 === undefined) {
      const server = await startEmbeddedS3(config.dataDir, log);
      stops.push(() => server.stop());
      s3 = server.config;
      objectUrls = new ApiObjectUrls(randomBytes(32));
    }
    const metrics = createMetricsRegistry();
    const database = openDatabase(databaseUrl, {
      onStatement: () => metrics.sqlStatements.inc(),
      onIdleError: (error) => log.warn({ err: error }, 'idle database connection lost'),
    });
    stops.push(() => database.close());
    await migrate(database.pool, log);

    const lineage = startLineageDispatcher(database.pool, config.openLineage, log.child({ component: 'openlineage' }));
    stops.push(() => lineage.stop());

    const store = new ObjectStore(s3, config.bucket, databaseDigestLedger(database.prisma), objectUrls);
    await store.ensureBucket();
    const queue = await JobQueue.open(databaseUrl, config.queue, log);
    stops.push(() => queue.close());

    let apiUrl: string | undefined;
    let initialAdminKey: string | undefined;
    if (options.api) {
      const events = new EventHub();
      await events.listen(database.pool, log, {
        runs: runCatchUpFrom(database.prisma),
        audits: auditCatchUpFrom(database.prisma),
        exports: (ids) => exportStates(database.prisma, ids),
      });
      stops.push(() => events.stop());
      registerClusterMetrics(metrics.registry, database.prisma, queue, config.queue.heartbeatSeconds);
      const schema = await createSchema(events);
      const keys = new KeyCache(database.prisma);
      const services = {
        config,
        prisma: database.prisma,
        pool: database.pool,
        store,
        queue,
        log,
        events,
        objectUrls,
        keys,
      };
      const server = await startApiServer(services, schema, metrics.registry);
      stops.push(() => server.close());
      apiUrl = server.url;
      if ((await database.prisma.apiKey.count()) === 0) {
        initialAdminKey = (await issueApiKey(database.prisma, 'initial admin', Role.ADMIN)).secret;
      }
    }
    if (options.worker && options.workerThread) {
      const thread = await startWorkerThread({ config: { ...config, databaseUrl, s3 } }, log);
      stops.push(() => thread.stop());
    } else if (options.worker) {
      // Loaded only here: an API-only process never loads the worker's model runtime (onnxruntime).
      const { startWorker } = await import('../../services/worker/src/startWorker.js');
      const worker = await startWorker({
        config,
        prisma: database.prisma,
        pool: database.pool,
        store,
        log: log.child({ component: 'worker' }),
        host: hostname(),
        codeVersion,
        queue,
      });
      stops.push(() => worker.stop());
      // After start-up, which is not the work to yield, and before any job creates a model session.
      if (!options.api) lowerWorkerPriority(config.workerNice, log);
    }
    return { apiUrl, initialAdminKey, database, store, queue, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
