import { pipeline } from 'node:stream/promises';
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from '../core/logging/logger.js';
import { isDatabaseUnavailable } from '../core/db/unavailable.js';
import type { ObjectStore } from '../core/store/objectStore.js';
import { objectRoutePrefix, type ApiObjectUrls } from '../core/store/objectUrls.js';
import { ErrorCode } from '../graphql/errors.js';
import { sendError } from './requestGuards.js';

/** S3's limit for one PUT: uploads through the API go to the object store in one. */
const maxUploadBytes = 5 * 1024 ** 3;

/** The object key a request names, or undefined when its path does not decode to one. */
function keyOf(req: Request): string | undefined {
  const path = new URL(req.originalUrl, 'http://api.invalid').pathname;
  if (!path.startsWith(objectRoutePrefix)) return undefined;
  try {
    const key = decodeURIComponent(path.slice(objectRoutePrefix.length));
    return key.length > 0 && key.length <= 1024 && !key.includes('\0') ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GET and PUT of single objects through URLs the API signed (src/core/store/objectUrls.ts), for the
 * embedded default, where clients cannot reach the S3 server. The signature is checked before the
 * store is touched; bodies stream in both directions, and a read whose bytes fail their recorded
 * digest is cut off rather than completed.
 */
export function objectRoutes(store: ObjectStore, urls: ApiObjectUrls, log: Logger): Router {
  const router = express.Router();
  const guard = (req: Request, res: Response, method: 'GET' | 'PUT'): string | undefined => {
    const key = keyOf(req);
    if (key === undefined) {
      sendError(res, 400, ErrorCode.BadRequest, 'not an object URL issued by this API');
      return undefined;
    }
    const check = urls.check(method, key, req.query as Record<string, unknown>);
    if (!check.ok) {
      sendError(res, 403, ErrorCode.Forbidden, check.reason);
      return undefined;
    }
    return key;
  };
  const failed = (res: Response, error: unknown, key: string) => {
    if (isDatabaseUnavailable(error)) {
      sendError(res, 503, ErrorCode.ServiceUnavailable, 'the database is unavailable; retry later');
      return;
    }
    log.error({ err: error, key }, 'object transfer failed');
    if (res.headersSent) res.destroy();
    else sendError(res, 500, ErrorCode.Internal, 'the object could not be transferred');
  };

  router.get('/{*key}', async (req, res) => {
    const key = guard(req, res, 'GET');
    if (key === undefined) return;
    try {
      const size = await store.size(key);
      if (size === undefined) {
        sendError(res, 404, ErrorCode.NotFound, 'no such object');
        return;
      }
      const body = await store.getStream(key);
      res.status(200).set({ 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) });
      await pipeline(body, res);
    } catch (error) {
      failed(res, error, key);
    }
  });

  router.put('/{*key}', async (req, res) => {
    const key = guard(req, res, 'PUT');
    if (key === undefined) return;
    const length = Number(req.headers['content-length']);
    if (req.headers['content-length'] === undefined || !Number.isSafeInteger(length) || length < 0) {
      sendError(res, 411, ErrorCode.BadRequest, 'an upload needs a Content-Length header');
      return;
    }
    if (length > maxUploadBytes) {
      sendError(res, 413, ErrorCode.BadRequest, `an upload may be at most ${maxUploadBytes} bytes`);
      return;
    }
    try {
      await store.putUpload(key, req, length);
      res.status(200).end();
    } catch (error) {
      failed(res, error, key);
    }
  });

  router.all('/{*key}', (_req, res) => {
    res.setHeader('Allow', 'GET, PUT');
    sendError(res, 405, ErrorCode.BadRequest, 'object URLs take GET or PUT');
  });
  return router;
}
