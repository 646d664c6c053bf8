import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';
import { packageRoot } from '../core/paths.js';

/** Where `npm run build` (and `npm ci`, through `prepare`) writes the bundled dashboard of web/. */
export const webAppDir = join(packageRoot, 'dist', 'web');

/** Paths the API answers itself; every other browser navigation is a dashboard route. */
const apiPaths = ['/graphql', '/healthz', '/metrics'];

/**
 * The dashboard at `/`: its bundled files, and index.html for its client-side routes (a reload of
 * /runs/<id> must not 404). A browser opening /graphql gets the bundled explorer instead of
 * Apollo's landing page, which loads from a CDN.
 */
export function serveWebApp(app: Express, dir = webAppDir): void {
  const index = join(dir, 'index.html');
  app.get('/graphql', (req, res, next) => {
    if (req.accepts(['application/json', 'text/html']) === 'text/html' && Object.keys(req.query).length === 0)
      res.redirect('/explorer');
    else next();
  });
  app.use(express.static(dir, { index: false, immutable: true, maxAge: '1y' }));
  app.get(/.*/, (req, res, next) => {
    if (apiPaths.some((path) => req.path === path || req.path.startsWith(`${path}/`)) || !req.accepts('html'))
      return next();
    if (!existsSync(index)) {
      res.status(503).type('text').send('The dashboard is not built: run `npm run build` in the brownian package.');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
