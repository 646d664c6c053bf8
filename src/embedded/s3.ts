import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { S3Config } from '../core/config/config.js';
import type { Logger } from '../core/logging/logger.js';
import { freePort } from './freePort.js';

export interface EmbeddedS3Server {
  config: S3Config;
  stop(): Promise<void>;
}

/** s3rver's fixed credentials: it checks signatures against them. */
const credentials = { accessKey: 'S3RVER', secretKey: 'S3RVER' };

/** An S3-protocol server keeping its objects under `<dataDir>/s3`. */
export async function startEmbeddedS3(dataDir: string, log: Logger): Promise<EmbeddedS3Server> {
  const directory = join(dataDir, 's3');
  await mkdir(directory, { recursive: true });
  const port = await freePort();
  const server = new S3rver({ address: '127.0.0.1', port, directory, silent: true });
  await server.run();
  log.info({ component: 's3', port, directory }, 'embedded S3 server started');
  return {
    config: { endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', ...credentials },
    stop: () => server.close(),
  };
}
