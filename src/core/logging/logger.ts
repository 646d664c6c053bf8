import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';

export type { Logger };

/** Structured JSON logs; child loggers carry runId / jobId so one run can be followed across processes. */
export function createLogger(level: LogLevel, name = 'brownian'): Logger {
  return pino({ name, level });
}
