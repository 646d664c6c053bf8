import { getPriority, setPriority } from 'node:os';
import type { Logger } from '../core/logging/logger.js';

/**
 * Lowers the CPU priority of the calling thread to `nice` (BROWNIAN_WORKER_NICE), before the worker
 * creates its model sessions: on Linux the nice value belongs to a thread and the threads it starts
 * (onnxruntime's pool) inherit it. A worker sharing cores with the API then yields them to requests
 * instead of splitting them evenly, and takes back every idle cycle (docs/operations.md, "Under
 * load"). In `brownian start` this is the worker's thread alone, never the API's.
 */
export function lowerWorkerPriority(nice: number, log: Logger): void {
  if (nice === 0) return;
  try {
    // `0` names the calling thread, not the process, on Linux.
    setPriority(0, Math.max(getPriority(0), nice));
    log.info({ nice: getPriority(0) }, 'worker runs at a lower CPU priority than the API');
  } catch (error) {
    log.warn({ err: error, nice }, 'could not lower the worker CPU priority');
  }
}
