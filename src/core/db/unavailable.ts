/** SQLSTATE classes and codes that mean "the server is not there", not "the statement is wrong". */
const unavailableSqlStates = new Set(['57P01', '57P02', '57P03', '53300']);
const unavailableSocketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);
/** Prisma's codes for an unreachable server, a closed connection and a pool timeout. */
const unavailablePrismaCodes = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const unavailableMessages =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)|Can't reach database server|Query read timeout/i;

/**
 * Whether an error (or any error it wraps) says the database cannot be reached: such errors are
 * answered with 503 and retried, never reported as the caller's fault or a server bug.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current !== null && typeof current === 'object' && depth < 8; depth += 1) {
    const { code, message, kind, cause, originalCode } = current as {
      code?: unknown;
      message?: unknown;
      kind?: unknown;
      cause?: unknown;
      originalCode?: unknown;
    };
    for (const value of [code, originalCode]) {
      if (typeof value !== 'string') continue;
      if (
        unavailableSqlStates.has(value) ||
        value.startsWith('08') ||
        unavailableSocketCodes.has(value) ||
        unavailablePrismaCodes.has(value)
      )
        return true;
    }
    if (kind === 'DatabaseNotReachable' || kind === 'ConnectionClosed' || kind === 'SocketTimeout') return true;
    if (typeof message === 'string' && unavailableMessages.test(message)) return true;
    current = cause;
  }
  return false;
}
