/**
 * The embedded S3 server in a process of its own, as MinIO is in a deployment: in the benchmark's
 * process it would serve the worker's uploads on the API's thread and count them as the API's
 * CPU. Started with `fork` and the data folder as its argument; it sends its S3 settings over IPC
 * once it listens and stops on SIGTERM.
 */
import { createLogger } from '../src/core/logging/logger.js';
import { startEmbeddedS3 } from '../src/embedded/s3.js';

if (process.send) {
  const server = await startEmbeddedS3(process.argv[2]!, createLogger('warn'));
  process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
  process.send({ config: server.config });
}
