import type { NextFunction, Request, Response } from 'express';
import { badUserInput, ErrorCode } from '../graphql/errors.js';
import { findMalformedText, malformedTextMessage } from '../graphql/wellFormedText.js';
import type { Logger } from '../core/logging/logger.js';

/** Every error the HTTP layer answers by itself has the shape of a GraphQL error response. */
export function sendError(res: Response, status: number, code: ErrorCode, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks what Apollo would otherwise answer with a plain-text page: the method, the content type
 * and, once parsed, the shape of the body (`query` a string, `variables` an object, no batches).
 */
export function graphqlRequestGuard(req: Request, res: Response, next: NextFunction): void {
  if (req.method === 'POST') {
    if (!req.is('application/json')) {
      sendError(res, 415, ErrorCode.BadRequest, 'POST /graphql takes a JSON body: Content-Type: application/json');
      return;
    }
  } else if (req.method === 'GET') {
    if (typeof req.query.query !== 'string') {
      sendError(res, 400, ErrorCode.BadRequest, 'GET /graphql needs a query parameter');
      return;
    }
    // Apollo's CSRF prevention: a GET with only simple headers could come from any web page.
    if (req.headers['apollo-require-preflight'] === undefined && req.headers['x-apollo-operation-name'] === undefined) {
      sendError(res, 400, ErrorCode.BadRequest, 'GET /graphql needs the header apollo-require-preflight: true');
      return;
    }
  } else if (req.method !== 'OPTIONS') {
    res.setHeader('Allow', 'GET, POST');
    sendError(res, 405, ErrorCode.BadRequest, `method ${req.method} is not allowed on /graphql; use POST`);
    return;
  }
  next();
}

export function graphqlBodyGuard(req: Request, res: Response, next: NextFunction): void {
  if (req.method !== 'POST') {
    next();
    return;
  }
  const body: unknown = req.body;
  let problem: string | undefined;
  if (!isPlainObject(body)) problem = 'the body must be one JSON object (batches are not accepted)';
  else if (typeof body.query !== 'string' || body.query.length === 0) problem = '`query` must be a non-empty string';
  else if (body.variables !== undefined && body.variables !== null && !isPlainObject(body.variables))
    problem = '`variables` must be an object';
  else if (body.operationName !== undefined && body.operationName !== null && typeof body.operationName !== 'string') {
    problem = '`operationName` must be a string';
  }
  if (problem) {
    sendError(res, 400, ErrorCode.BadRequest, problem);
    return;
  }
  const malformed = findMalformedText((body as Record<string, unknown>).variables, 'variables');
  if (malformed) {
    res.status(400).json({ errors: [badUserInput([{ field: malformed, message: malformedTextMessage }]).toJSON()] });
    return;
  }
  next();
}

interface HttpError extends Error {
  type?: string;
  status?: number;
}

/** Last in the chain: body-parser's and any other error become JSON; the details go to the log only. */
export function errorResponder(log: Logger, maxBodyBytes: number) {
  return (error: HttpError, _req: Request, res: Response, _next: NextFunction): void => {
    switch (error.type) {
      case 'entity.too.large':
        sendError(res, 413, ErrorCode.QueryTooComplex, `request body exceeds ${maxBodyBytes} bytes`);
        return;
      case 'entity.parse.failed':
        sendError(res, 400, ErrorCode.BadRequest, 'the request body is not valid JSON');
        return;
      case 'encoding.unsupported':
      case 'charset.unsupported':
        sendError(res, 415, ErrorCode.BadRequest, 'the request body must be UTF-8 JSON');
        return;
      case 'request.aborted':
      case 'request.size.invalid':
        sendError(res, 400, ErrorCode.BadRequest, 'the request body was cut short');
        return;
      default:
        if (error.status !== undefined && error.status >= 400 && error.status < 500) {
          sendError(res, error.status, ErrorCode.BadRequest, 'the request could not be read');
          return;
        }
        log.error({ err: error }, 'HTTP request failed');
        sendError(res, 500, ErrorCode.Internal, 'internal error; the details are in the server log');
    }
  };
}

export function notFoundResponder(req: Request, res: Response): void {
  sendError(res, 404, ErrorCode.NotFound, `no such path: ${req.method} ${req.path.slice(0, 200)}`);
}
