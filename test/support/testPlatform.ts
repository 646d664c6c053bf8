import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { issueApiKey } from '../../src/auth/apiKeys.js';
import { loadConfig, type Config } from '../../src/core/config/config.js';
import { Role } from '../../src/generated/prisma/enums.js';
import { createLogger } from '../../src/core/logging/logger.js';
import { startPlatform, type Platform, type PlatformOptions } from '../../src/platform/platform.js';

export interface TestPlatform {
  platform: Platform;
  config: Config;
  url: string;
  /** Environment that points a separate process (e.g. `brownian worker`) at the same servers. */
  env: Record<string, string>;
  keys: Record<Role, string>;
  stop(): Promise<void>;
}

/** A fresh database on the shared test server, so test files never see each other's rows. */
export async function createTestDatabase(): Promise<string> {
  const adminUrl = inject('postgresUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function startTestPlatform(
  options: PlatformOptions = { api: true, worker: false },
  extraEnv: Record<string, string> = {},
): Promise<TestPlatform> {
  const env: Record<string, string> = {
    DATABASE_URL: await createTestDatabase(),
    S3_ENDPOINT: inject('s3Endpoint'),
    S3_ACCESS_KEY: inject('s3AccessKey'),
    S3_SECRET_KEY: inject('s3SecretKey'),
    S3_BUCKET: `b-${randomBytes(6).toString('hex')}`,
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    BROWNIAN_HEARTBEAT_SECONDS: '1',
    BROWNIAN_QUEUE_MAINTENANCE_SECONDS: '1',
    BROWNIAN_JOB_RETRY_DELAY_SECONDS: '0',
    ...extraEnv,
  };
  const config = loadConfig(env);
  const platform = await startPlatform(config, createLogger(config.logLevel), options);
  const prisma = platform.database.prisma;
  const keys = {} as Record<Role, string>;
  for (const role of Object.values(Role)) keys[role] = (await issueApiKey(prisma, `test ${role}`, role)).secret;
  return { platform, config, url: platform.apiUrl ?? '', env, keys, stop: () => platform.stop() };
}
