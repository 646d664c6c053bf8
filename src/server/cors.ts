import type { NextFunction, Request, Response } from 'express';
import { ErrorCode } from '../graphql/errors.js';

/** Preflight answers may be cached by the browser this long. */
const maxAgeSeconds = 600;

/**
 * Cross-origin access for browser dashboards: the API's own origin and the configured ones
 * (BROWNIAN_CORS_ORIGINS) get CORS headers; a preflight from any other origin is refused with a
 * JSON error naming the setting. Keys travel in the Authorization header, never in cookies, so
 * credentials are not allowed.
 */
export function corsMiddleware(allowedOrigins: readonly string[]) {
  const allowed = new Set(allowedOrigins);
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    if (origin === undefined) {
      next();
      return;
    }
    const ownOrigin = `${req.protocol}://${req.headers.host ?? ''}`;
    const permitted = origin === ownOrigin || allowed.has(origin);
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (permitted) {
      res.vary('Origin');
      res.setHeader('Access-Control-Allow-Origin', origin);
      if (preflight) {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', 'authorization, content-type, apollo-require-preflight');
        res.setHeader('Access-Control-Max-Age', String(maxAgeSeconds));
        res.status(204).end();
        return;
      }
    } else if (preflight) {
      res.status(403).json({
        errors: [
          {
            message: `origin ${origin} may not call this API: add it to BROWNIAN_CORS_ORIGINS`,
            extensions: { code: ErrorCode.Forbidden },
          },
        ],
      });
      return;
    }
    next();
  };
}
