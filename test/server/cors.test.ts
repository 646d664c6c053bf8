import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/config.js';
import { Role } from '../../src/generated/prisma/enums.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

let t: TestPlatform;
const dashboard = 'https://dashboard.lab.example:8443';

beforeAll(async () => {
  t = await startTestPlatform(
    { api: true, worker: false },
    { BROWNIAN_CORS_ORIGINS: `${dashboard}, http://localhost:3000` },
  );
});
afterAll(async () => t?.stop());

function preflight(origin: string): Promise<Response> {
  return fetch(t.url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });
}

describe('CORS', () => {
  it('answers the preflight of a configured origin, and the request that follows carries its origin', async () => {
    const answer = await preflight(dashboard);
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe(dashboard);
    expect(answer.headers.get('access-control-allow-methods')).toContain('POST');
    expect(answer.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(answer.headers.get('access-control-allow-credentials')).toBeNull();

    const response = await fetch(t.url, {
      method: 'POST',
      headers: {
        origin: dashboard,
        'content-type': 'application/json',
        authorization: `Bearer ${t.keys[Role.VIEWER]}`,
      },
      body: JSON.stringify({ query: '{ runs { totalCount } }' }),
    });
    expect(response.headers.get('access-control-allow-origin')).toBe(dashboard);
    expect(await response.json()).toEqual({ data: { runs: { totalCount: 0 } } });
  });

  it('allows the API its own origin and refuses any other with a JSON error naming the setting', async () => {
    const own = new URL(t.url).origin;
    expect((await preflight(own)).headers.get('access-control-allow-origin')).toBe(own);

    const stranger = await preflight('https://evil.example');
    expect(stranger.status).toBe(403);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    const body = (await stranger.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors[0]).toEqual({
      message: 'origin https://evil.example may not call this API: add it to BROWNIAN_CORS_ORIGINS',
      extensions: { code: 'FORBIDDEN' },
    });
    const simple = await fetch(t.url.replace(/\/graphql$/, '/healthz'), {
      headers: { origin: 'https://evil.example' },
    });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('reads BROWNIAN_CORS_ORIGINS once, refusing what is not an origin', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(() => loadConfig({ BROWNIAN_CORS_ORIGINS: 'https://a.example, https://b.example/path, *' })).toThrow(
      /BROWNIAN_CORS_ORIGINS: "https:\/\/b.example\/path" is not an origin[\s\S]*BROWNIAN_CORS_ORIGINS: "\*" is not an origin/,
    );
  });
});
