import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type ConfigOverrides } from '../../core/config/config.js';
import { createLogger } from '../../core/logging/logger.js';
import { startPlatform, type PlatformOptions } from '../../platform/platform.js';
import { watchTermination } from '../termination.js';

interface PlatformFlags {
  dataDir?: string;
  port?: string;
  host?: string;
}

const storageHelp = `
  DATABASE_URL           external PostgreSQL (default: embedded, under the data folder)
  S3_ENDPOINT            external S3/MinIO, with S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION (default: embedded)
  S3_BUCKET              bucket name (default: brownian)
  BROWNIAN_DATA_DIR      data folder of the embedded servers (default: ./.brownian)`;
const apiHelp = `
  PORT, HOST             where the API listens (default: 127.0.0.1:4000)`;
const workerHelp = `
  BROWNIAN_DEVICE        auto | cuda | cpu: onnxruntime execution provider of the worker (default: auto)
  BROWNIAN_WORKER_CONCURRENCY, BROWNIAN_WORKER_NICE, BROWNIAN_HEARTBEAT_SECONDS, BROWNIAN_JOB_EXPIRE_SECONDS: see README`;
const logHelp = `
  LOG_LEVEL              fatal | error | warn | info | debug | trace | silent (default: info)`;
const workerStorageHelp = `
  DATABASE_URL           the shared PostgreSQL (required)
  S3_ENDPOINT            the shared S3/MinIO, with S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION (required)
  S3_BUCKET              bucket name (default: brownian)`;

function environmentHelp(options: PlatformOptions): string {
  if (!options.api) return `\nEnvironment:${workerStorageHelp}${workerHelp}${logHelp}`;
  return `\nEnvironment:${storageHelp}${apiHelp}${options.worker ? workerHelp : ''}${logHelp}`;
}

/** Runs until SIGINT/SIGTERM, then shuts down: running jobs go back to the queue, embedded servers stop. */
async function runPlatform(flags: PlatformFlags, options: PlatformOptions): Promise<void> {
  const overrides: ConfigOverrides = { dataDir: flags.dataDir, port: flags.port, host: flags.host };
  let config;
  try {
    config = loadConfig(process.env, overrides);
    if (!options.api && (config.databaseUrl === undefined || config.s3 === undefined)) {
      throw new ConfigError([
        'a worker alone needs DATABASE_URL and S3_ENDPOINT (with S3_ACCESS_KEY, S3_SECRET_KEY) of the shared servers; ' +
          '`brownian start` runs a worker beside the embedded ones',
      ]);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  const termination = watchTermination(() =>
    process.stderr.write('Still shutting down; the embedded servers stop last…\n'),
  );
  try {
    const platform = await startPlatform(config, log, options);
    if (platform.apiUrl)
      process.stderr.write(`\nBrownian GraphQL API: ${platform.apiUrl} (WebSocket subscriptions on the same URL)\n`);
    if (platform.initialAdminKey) {
      process.stderr.write(`Admin API key (shown once, keep it): ${platform.initialAdminKey}\n`);
    }
    if (options.worker) {
      process.stderr.write(
        `Worker running in this process${options.workerThread ? ', in a thread of its own' : ''}.\n`,
      );
    }
    await termination.requested;
    process.stderr.write('Shutting down…\n');
    await platform.stop();
  } finally {
    termination.dispose();
  }
}

function platformCommand(name: string, description: string, options: PlatformOptions): Command {
  const command = new Command(name).description(description);
  if (options.api) {
    command.addOption(new Option('--data-dir <dir>', 'data folder of the embedded servers').env('BROWNIAN_DATA_DIR'));
    command.addOption(new Option('--port <port>', 'API port').env('PORT'));
    command.addOption(new Option('--host <host>', 'API host').env('HOST'));
  }
  command.addHelpText('after', environmentHelp(options));
  command.action((flags: PlatformFlags) => runPlatform(flags, options));
  return command;
}

export function platformCommands(): Command[] {
  return [
    platformCommand('start', 'API and one worker in this process (embedded database and S3 unless configured)', {
      api: true,
      worker: true,
      workerThread: true,
    }),
    platformCommand('serve', 'the GraphQL API only', { api: true, worker: false }),
    platformCommand(
      'worker',
      'a worker only, for extra hosts: needs DATABASE_URL and S3_* to reach the shared servers',
      { api: false, worker: true },
    ),
  ];
}
