import { randomUUID } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isDatabaseUnavailable } from '../core/db/unavailable.js';
import { ErrorCode } from '../graphql/errors.js';
import type { Logger } from '../core/logging/logger.js';

/** Codes whose messages are written for clients: about their request, never about the server. */
const clientCodes = new Set<string>([
  ...Object.values(ErrorCode).filter((code) => code !== ErrorCode.Internal),
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

export type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

function originalOf(error: unknown): unknown {
  return error instanceof GraphQLError && error.originalError ? error.originalError : error;
}

/**
 * What leaves the server for an error: client mistakes as they are; an unreachable database as
 * SERVICE_UNAVAILABLE; anything else as INTERNAL_SERVER_ERROR with only an id, the details (Prisma's
 * query text, hosts, ports, stacks) going to the log under that id. `exposeDetails` (NODE_ENV=
 * development) keeps the original message for whoever debugs the server.
 */
export function createErrorFormatter(log: Logger, exposeDetails: boolean): ErrorFormatter {
  return (formatted, error) => {
    const original = originalOf(error);
    const { path, locations } = formatted;
    // Apollo files every validation failure under one code; our rules carry a more precise one.
    if (original instanceof GraphQLError) {
      const ownCode = original.extensions.code;
      if (ownCode === ErrorCode.QueryTooComplex || ownCode === ErrorCode.BadUserInput) {
        return { ...formatted, extensions: { ...original.extensions, code: ownCode } };
      }
    }
    if (isDatabaseUnavailable(original)) {
      log.warn({ err: original }, 'request failed: database unavailable');
      return {
        message: 'the database is unavailable; retry shortly',
        path,
        locations,
        extensions: { code: ErrorCode.ServiceUnavailable },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && clientCodes.has(code)) {
      if (exposeDetails) return formatted;
      const { stacktrace: _stacktrace, exception: _exception, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const errorId = randomUUID();
    log.error({ err: original, errorId, path }, 'request failed inside the server');
    return {
      message: exposeDetails ? formatted.message : `internal error ${errorId}; the details are in the server log`,
      path,
      locations,
      extensions: { code: ErrorCode.Internal, errorId },
    };
  };
}

/** HTTP status of a response carrying these errors, when the whole request failed for one reason. */
export function statusForErrors(errors: readonly GraphQLFormattedError[] | undefined): number | undefined {
  if (errors?.some((error) => error.extensions?.code === ErrorCode.ServiceUnavailable)) return 503;
  return undefined;
}
