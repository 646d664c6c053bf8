import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type ConfigOverrides } from '../../config/config.js';
import { createLogger } from '../../logging/logger.js';
import { startPlatform, type PlatformOptions } from '../../platform/platform.js';

interface PlatformFlags {
  dataDir?: string;
  port?: string;
  host?: string;
}

const environmentHelp = `
Environment:
  DATABASE_URL           external PostgreSQL (default: embedded, under the data folder)
  S3_ENDPOINT            external S3/MinIO, with S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION (default: embedded)
  S3_BUCKET              bucket name (default: brownian)
  BROWNIAN_DATA_DIR      data folder of the embedded servers (default: ./.brownian)
  BROWNIAN_DEVICE        auto | cuda | cpu: onnxruntime execution provider of the worker (default: auto)
  PORT, HOST             where the API listens (default: 127.0.0.1:4000)
  LOG_LEVEL              fatal | error | warn | info | debug | trace | silent (default: info)`;

/** Runs until SIGINT/SIGTERM, then shuts down: running jobs go back to the queue. */
async function runPlatform(flags: PlatformFlags, options: PlatformOptions): Promise<void> {
  const overrides: ConfigOverrides = { dataDir: flags.dataDir, port: flags.port, host: flags.host };
  let config;
  try {
    config = loadConfig(process.env, overrides);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  const platform = await startPlatform(config, log, options);
  if (platform.apiUrl) process.stderr.write(`\nBrownian GraphQL API: ${platform.apiUrl} (WebSocket subscriptions on the same URL)\n`);
  if (platform.initialAdminKey) {
    process.stderr.write(`Admin API key (shown once, keep it): ${platform.initialAdminKey}\n`);
  }
  if (options.worker) process.stderr.write('Worker running in this process.\n');
  await new Promise<void>((resolveSignal) => {
    process.once('SIGINT', resolveSignal);
    process.once('SIGTERM', resolveSignal);
  });
  process.stderr.write('Shutting down…\n');
  await platform.stop();
}

function platformCommand(name: string, description: string, options: PlatformOptions): Command {
  const command = new Command(name).description(description);
  command.addOption(new Option('--data-dir <dir>', 'data folder of the embedded servers').env('BROWNIAN_DATA_DIR'));
  if (options.api) {
    command.addOption(new Option('--port <port>', 'API port').env('PORT'));
    command.addOption(new Option('--host <host>', 'API host').env('HOST'));
  }
  command.addHelpText('after', environmentHelp);
  command.action((flags: PlatformFlags) => runPlatform(flags, options));
  return command;
}

export function platformCommands(): Command[] {
  return [
    platformCommand('start', 'API and one worker in this process (embedded database and S3 unless configured)', { api: true, worker: true }),
    platformCommand('serve', 'the GraphQL API only', { api: true, worker: false }),
    platformCommand('worker', 'a worker only, for extra hosts: needs DATABASE_URL and S3_* to reach the shared servers', { api: false, worker: true }),
  ];
}
