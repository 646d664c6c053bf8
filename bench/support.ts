import { fork } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../src/core/logging/logger.js';
import { packageRoot } from '../src/core/paths.js';
import { startEmbeddedPostgres } from '../src/embedded/postgres.js';
import { startEmbeddedS3, type EmbeddedS3Server } from '../src/embedded/s3.js';

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Polls `probe` until it answers; benchmarks wait up to 30 minutes on a busy machine. */
export async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface BenchServers {
  dataDir: string;
  /** The environment a platform or `brownian worker` needs to use these servers, plus `extra`. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** The embedded S3 server in a child process (bench/objectStoreProcess.ts). */
async function startS3Process(dataDir: string): Promise<EmbeddedS3Server> {
  const child = fork(join(packageRoot, 'dist', 'bench', 'objectStoreProcess.js'), [dataDir], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const config = await new Promise<EmbeddedS3Server['config']>((resolve, reject) => {
    child.once('message', (message: { config: EmbeddedS3Server['config'] }) => resolve(message.config));
    void exited.then((code) => reject(new Error(`the S3 server process exited with ${code} before listening`)));
  });
  child.disconnect();
  return {
    config,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Embedded Postgres and S3 in a scratch folder, as separate servers a platform and workers share.
 * PostgreSQL always runs in processes of its own; S3 does too with `s3Process`, otherwise in this one.
 */
export async function startBenchServers(
  prefix: string,
  log: Logger,
  extra: Record<string, string> = {},
  { s3Process = false } = {},
): Promise<BenchServers> {
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  // Started as root, the embedded PostgreSQL runs as "postgres", which must be able to enter it.
  await chmod(dataDir, 0o755);
  const postgres = await startEmbeddedPostgres(dataDir, log);
  const s3 = s3Process ? await startS3Process(dataDir) : await startEmbeddedS3(dataDir, log);
  return {
    dataDir,
    env: {
      DATABASE_URL: postgres.url,
      S3_ENDPOINT: s3.config.endpoint,
      S3_ACCESS_KEY: s3.config.accessKey,
      S3_SECRET_KEY: s3.config.secretKey,
      S3_REGION: s3.config.region,
      PORT: '0',
      LOG_LEVEL: 'warn',
      BROWNIAN_DATA_DIR: dataDir,
      ...extra,
    },
    async stop() {
      await s3.stop();
      await postgres.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
