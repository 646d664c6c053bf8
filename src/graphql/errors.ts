import { GraphQLError } from 'graphql';

/** Stable codes clients can branch on, in `extensions.code`. */
export enum ErrorCode {
  BadUserInput = 'BAD_USER_INPUT',
  NotFound = 'NOT_FOUND',
  Forbidden = 'FORBIDDEN',
  Unauthenticated = 'UNAUTHENTICATED',
  Conflict = 'CONFLICT',
  QueryTooComplex = 'QUERY_TOO_COMPLEX',
  /** The answer would be too large to build in one request; the message names the job that writes it. */
  TooLarge = 'TOO_LARGE',
  /** The request itself is malformed: not JSON, wrong content type or method, no query. */
  BadRequest = 'BAD_REQUEST',
  /** The database or object store cannot be reached; retry later (HTTP 503). */
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  /** A fault of the server; the message carries an id to find the details in the server log. */
  Internal = 'INTERNAL_SERVER_ERROR',
}

export interface FieldProblem {
  /** Path of the offending argument field, e.g. `input.numIdentities`. */
  field: string;
  message: string;
}

export function badUserInput(problems: FieldProblem[]): GraphQLError {
  const summary = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return new GraphQLError(`Invalid input: ${summary}`, {
    extensions: { code: ErrorCode.BadUserInput, field: problems[0]?.field, problems },
  });
}

export function notFound(what: string, id: string): GraphQLError {
  return new GraphQLError(`${what} ${id} not found`, { extensions: { code: ErrorCode.NotFound, id } });
}

export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.Forbidden } });
}

export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.Unauthenticated } });
}

export function conflict(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.Conflict } });
}

export function serviceUnavailable(what: string): GraphQLError {
  return new GraphQLError(`${what} is unavailable; retry shortly`, {
    extensions: { code: ErrorCode.ServiceUnavailable, http: { status: 503 } },
  });
}

export function tooLarge(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.TooLarge } });
}
