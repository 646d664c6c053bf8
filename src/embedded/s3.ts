import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
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

/**
 * Where this server is given to a platform as its S3 (the tests' shared servers), browsers PUT
 * to its presigned URLs from the API's origin (the dashboard uploads gallery files so). s3rver
 * answers CORS only per bucket configuration, and buckets are made later by each platform, so
 * this server answers every origin itself: a presigned URL is the credential, and the server
 * listens on the loopback interface only. (On the embedded default the API serves object URLs.)
 */
function withCors(handle: (request: IncomingMessage, response: ServerResponse) => void) {
  return (request: IncomingMessage, response: ServerResponse) => {
    if (request.headers.origin) {
      response.setHeader('Access-Control-Allow-Origin', '*');
      response.setHeader('Access-Control-Expose-Headers', 'ETag');
      if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
        response.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, PUT');
        response.setHeader('Access-Control-Allow-Headers', request.headers['access-control-request-headers'] ?? '');
        response.setHeader('Access-Control-Max-Age', '600');
        response.writeHead(204).end();
        return;
      }
    }
    handle(request, response);
  };
}

/** An S3-protocol server keeping its objects under `<dataDir>/s3`. */
export async function startEmbeddedS3(dataDir: string, log: Logger): Promise<EmbeddedS3Server> {
  const directory = join(dataDir, 's3');
  await mkdir(directory, { recursive: true });
  const port = await freePort();
  const s3rver = new S3rver({ address: '127.0.0.1', port, directory, silent: true });
  const server = createServer(withCors(s3rver.callback()));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  log.info({ component: 's3', port, directory }, 'embedded S3 server started');
  return {
    config: { endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', ...credentials },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
