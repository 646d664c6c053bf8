import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveWebApp } from '../../src/server/webApp.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

let t: TestPlatform;
let origin: string;

beforeAll(async () => {
  t = await startTestPlatform();
  origin = new URL(t.url).origin;
});
afterAll(async () => t?.stop());

const html = { accept: 'text/html,application/xhtml+xml' };

describe('the dashboard served by the API', () => {
  it('serves the app at / and index.html for its client routes, with its assets', async () => {
    const root = await fetch(`${origin}/`, { headers: html });
    expect(root.status).toBe(200);
    const page = await root.text();
    expect(page).toContain('<div id="root">');
    const route = await fetch(`${origin}/runs/00000000-0000-4000-8000-000000000000`, { headers: html });
    expect(await route.text()).toBe(page);
    const script = page.match(/src="(\/assets\/[^"]+\.js)"/)![1]!;
    const asset = await fetch(`${origin}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
  });

  it('sends a browser opening /graphql to the bundled explorer, and leaves API clients and probes alone', async () => {
    const browser = await fetch(t.url, { headers: html, redirect: 'manual' });
    expect(browser.status).toBe(302);
    expect(browser.headers.get('location')).toBe('/explorer');
    const api = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ me { role } }"}',
    });
    expect(api.status).toBe(401);
    expect((await fetch(`${origin}/healthz`, { headers: html })).headers.get('content-type')).toMatch(/json/);
    expect((await fetch(`${origin}/metrics`, { headers: html })).headers.get('content-type')).toMatch(/text\/plain/);
  });

  it('answers 503 with what to run when the dashboard was not built', async () => {
    const app = express();
    serveWebApp(app, await mkdtemp(join(tmpdir(), 'brownian-no-web-')));
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${address.port}/`, { headers: html });
    expect(response.status).toBe(503);
    expect(await response.text()).toMatch(/npm run build/);
    await new Promise((resolve) => server.close(resolve));
  });
});
