import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/generated/prisma/enums.js';
import { encodeCursor } from '../../src/graphql/connections.js';
import { errorCode, graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { withPackChecker } from '../support/packChecker.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

let t: TestPlatform;
let packId: string;

beforeAll(async () => {
  t = await startTestPlatform({ api: true, worker: false });
  packId = (await withPackChecker(t, () => registerMiniPack(t.url, t.keys[Role.OPERATOR]))).id;
});
afterAll(async () => t?.stop());

/** Nothing a client sees may show where the server's files are, or a stack. */
function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/\s+at\s+\S+\s+\(|node_modules|\/work\/|\/src\/|prisma\.|127\.0\.0\.1:\d+|<html/i);
}

async function rawPost(body: string, contentType = 'application/json', key = t.keys[Role.VIEWER]) {
  const response = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': contentType, authorization: `Bearer ${key}` },
    body,
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text };
}

describe('introspection', () => {
  it('answers the standard introspection query for every role, and the answer builds a schema', async () => {
    for (const role of Object.values(Role)) {
      const response = await graphql<IntrospectionQuery>(
        t.url,
        t.keys[role],
        getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }),
      );
      expect(response.errors).toBeUndefined();
      const schema = buildClientSchema(response.data!);
      expect(schema.getQueryType()?.getFields().runs).toBeDefined();
    }
  });

  it('still refuses fragment bombs and deep queries, fast, before executing them', async () => {
    const levels = 40;
    const fragments = Array.from(
      { length: levels },
      (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    ).join(' ');
    const bomb = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      `{ ...F0 } ${fragments} fragment F${levels} on Query { runs(first: 1) { totalCount } }`,
    );
    expect(errorCode(bomb)).toBe('QUERY_TOO_COMPLEX');
    const costly = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      `
        {
          ...Q
        }
        fragment Q on Query {
          runs(first: 200) {
            edges {
              node {
                ...R
              }
            }
          }
        }
        fragment R on Run {
          identities(first: 200) {
            edges {
              node {
                latent
                embedding
              }
            }
          }
        }
      `,
    );
    expect(errorCode(costly)).toBe('QUERY_TOO_COMPLEX');
  });
});

describe('error responses are JSON GraphQL errors with a code', () => {
  it.each([
    ['malformed JSON', '{"query": "{ runs', 'application/json', 400, 'BAD_REQUEST'],
    ['a wrong content type', 'query={runs{totalCount}}', 'application/x-www-form-urlencoded', 415, 'BAD_REQUEST'],
    ['a batch', '[{"query":"{ __typename }"}]', 'application/json', 400, 'BAD_REQUEST'],
    ['no query', '{"variables":{}}', 'application/json', 400, 'BAD_REQUEST'],
    ['a syntax error', '{"query":"{ runs("}', 'application/json', 400, 'GRAPHQL_PARSE_FAILED'],
  ])('%s', async (_name, body, contentType, status, code) => {
    const response = await rawPost(body, contentType);
    expect(response.status).toBe(status);
    expect(response.contentType).toMatch(/application\/json/);
    expect(
      (JSON.parse(response.text) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code,
    ).toBe(code);
    expectNoInternals(response.text);
  });

  it('for other methods and paths too', async () => {
    const base = t.url.replace(/\/graphql$/, '');
    for (const [method, path, status] of [
      ['PUT', '/graphql', 405],
      ['GET', '/nothing', 404],
      ['GET', '/graphql?query={__typename}', 400],
    ] as const) {
      const response = await fetch(`${base}${path}`, { method, headers: { accept: 'application/json' } });
      expect(response.status).toBe(status);
      const text = await response.text();
      expect(
        (JSON.parse(text) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code,
      ).toBeTruthy();
      expectNoInternals(text);
    }
  });
});

describe('bad input is BAD_USER_INPUT naming the field, and leaves no rows', () => {
  it('a key name with an unpaired surrogate or NUL creates no key and no audit entry', async () => {
    const { prisma } = t.platform.database;
    const [keys, audits] = [await prisma.apiKey.count(), await prisma.auditLogEntry.count()];
    for (const name of ['x\ud800y', 'a\u0000b']) {
      const viaVariable = await graphql(
        t.url,
        t.keys[Role.ADMIN],
        'mutation($name: String!) { createApiKey(name: $name, role: ADMIN) { secret } }',
        { name },
      );
      expect(errorCode(viaVariable)).toBe('BAD_USER_INPUT');
      expect(viaVariable.errors![0]!.extensions!.field).toBe('variables.name');
    }
    const literal = await graphql(
      t.url,
      t.keys[Role.ADMIN],
      'mutation { createApiKey(name: "x\\u0000y", role: ADMIN) { secret } }',
    );
    expect(errorCode(literal)).toBe('BAD_USER_INPUT');
    expect(literal.errors![0]!.extensions!.field).toBe('name');
    expect([await prisma.apiKey.count(), await prisma.auditLogEntry.count()]).toEqual([keys, audits]);
  });

  it.each([
    ['a bad date', ['not a date', '00000000-0000-4000-8000-000000000000']],
    ['a non-UUID id', ['2026-01-01T00:00:00.000Z', 'x']],
    ['a wrong shape', [1.5]],
  ])('a runs cursor with %s', async (_name, key) => {
    const response = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      'query($after: String) { runs(after: $after) { totalCount } }',
      {
        after: encodeCursor(key as (string | number)[]),
      },
    );
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions!.field).toBe('after');
  });

  it.each([1.5, 1e300, 2 ** 31, -1])('an identities cursor at index %s', async (index) => {
    const run = await graphql(
      t.url,
      t.keys[Role.OPERATOR],
      'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }',
      {
        input: { modelPackId: packId, numIdentities: 2, iterations: 1 },
      },
    );
    const response = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      'query($id: ID!, $after: String) { run(id: $id) { identities(after: $after) { totalCount } } }',
      {
        id: run.data!.startLangevinRun.id,
        after: encodeCursor([index]),
      },
    );
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expectNoInternals(JSON.stringify(response));
  });

  it.each([
    '',
    'x'.repeat(2000),
    'uploads/../checkpoints/x',
    'checkpoints/abc',
    'uploads/00000000-0000-4000-8000-000000000000/a\u0000b',
  ])('an object key %#', async (key) => {
    const response = await graphql(
      t.url,
      t.keys[Role.AUDITOR],
      'mutation($input: GalleryInput!) { createGallery(input: $input) { id } }',
      {
        input: { name: 'g', embeddingDim: 4, count: 1, embeddingsKey: key },
      },
    );
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions!.field).toMatch(/embeddingsKey/);
  });
});

describe('seeds', () => {
  it.each(['9223372036854775808', '18446744073709551615', '0'])('stores and returns seed %s', async (seed) => {
    const response = await graphql(
      t.url,
      t.keys[Role.OPERATOR],
      'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id seed } }',
      {
        input: { modelPackId: packId, numIdentities: 2, iterations: 1, seed },
      },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.startLangevinRun.seed).toBe(seed);
  });

  it('draws random seeds over the whole 64-bit range without failing', async () => {
    const seeds: bigint[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await graphql(
        t.url,
        t.keys[Role.OPERATOR],
        'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { seed } }',
        {
          input: { modelPackId: packId, numIdentities: 2, iterations: 1 },
        },
      );
      expect(response.errors).toBeUndefined();
      seeds.push(BigInt(response.data!.startLangevinRun.seed as string));
    }
    expect(seeds.every((s) => s >= 0n && s < 2n ** 64n)).toBe(true);
    expect(seeds.some((s) => s >= 2n ** 63n)).toBe(true);
  });
});

describe('revocation reaches open WebSockets', () => {
  function wsClient(key: string) {
    return createClient({
      url: t.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${key}` },
      retryAttempts: 0,
      lazy: false,
    });
  }

  async function newAdminKey(): Promise<{ id: string; secret: string }> {
    const created = await graphql(
      t.url,
      t.keys[Role.ADMIN],
      'mutation { createApiKey(name: "ws", role: ADMIN) { secret apiKey { id } } }',
    );
    return { id: created.data!.createApiKey.apiKey.id, secret: created.data!.createApiKey.secret };
  }

  it('closes every socket of a key with 4403 as soon as it is revoked over HTTP', async () => {
    const key = await newAdminKey();
    const client = wsClient(key.secret);
    const closed = new Promise<number>((resolveClose) =>
      client.on('closed', (event) => resolveClose((event as { code: number }).code)),
    );
    const subscribed = new Promise<void>((resolveSub) => {
      client.on('connected', () => resolveSub());
      client.subscribe(
        { query: 'subscription { runUpdated { runId } }' },
        { next: () => undefined, error: () => undefined, complete: () => undefined },
      );
    });
    await subscribed;
    const revoked = await graphql(t.url, t.keys[Role.ADMIN], 'mutation($id: ID!) { revokeApiKey(id: $id) { id } }', {
      id: key.id,
    });
    expect(revoked.errors).toBeUndefined();
    expect(await closed).toBe(4403);
    await client.dispose();
  });

  it('refuses the next operation of a key revoked behind its back (no notification), and closes with 4403', async () => {
    const key = await newAdminKey();
    const client = wsClient(key.secret);
    const closed = new Promise<number>((resolveClose) =>
      client.on('closed', (event) => resolveClose((event as { code: number }).code)),
    );
    await new Promise<void>((resolveConnected) => client.on('connected', () => resolveConnected()));
    await t.platform.database.prisma.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
    const before = await t.platform.database.prisma.apiKey.count();
    const result = await new Promise<{ data?: unknown; error?: unknown }>((resolveResult) => {
      client.subscribe(
        { query: 'mutation { createApiKey(name: "x", role: ADMIN) { secret } }' },
        {
          next: (value) => resolveResult({ data: value.data }),
          error: (error) => resolveResult({ error }),
          complete: () => undefined,
        },
      );
    });
    expect(result.data ?? null).toBeNull();
    expect(await closed).toBe(4403);
    expect(await t.platform.database.prisma.apiKey.count()).toBe(before);
    await client.dispose();
  });

  it('an expiring key works until its time, then HTTP answers 401 and its open socket is closed with 4403', async () => {
    const expiresAt = new Date(Date.now() + 60_000);
    const created = await graphql(
      t.url,
      t.keys[Role.ADMIN],
      'mutation($at: DateTime!) { createApiKey(name: "short", role: VIEWER, expiresAt: $at) { secret apiKey { id expiresAt } } }',
      { at: expiresAt.toISOString() },
    );
    expect(created.errors).toBeUndefined();
    const { secret, apiKey } = created.data!.createApiKey;
    expect(new Date(apiKey.expiresAt).getTime()).toBe(expiresAt.getTime());
    expect((await graphql(t.url, secret, '{ me { name } }')).data).toEqual({ me: { name: 'short' } });

    // The key's time runs out: moved into the past rather than waited for. The socket opened before.
    const client = wsClient(secret);
    const closed = new Promise<number>((resolveClose) =>
      client.on('closed', (event) => resolveClose((event as { code: number }).code)),
    );
    await new Promise<void>((resolveConnected) => client.on('connected', () => resolveConnected()));
    await t.platform.database.prisma.apiKey.update({ where: { id: apiKey.id }, data: { expiresAt: new Date() } });
    // Changed behind the API's back, the expiry reaches HTTP when the key's cache entry ages out (docs/operations.md).
    const deadline = Date.now() + 90_000;
    let http = await graphql(t.url, secret, '{ me { name } }');
    while (http.status !== 401 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      http = await graphql(t.url, secret, '{ me { name } }');
    }
    expect(http.status).toBe(401);
    expect(errorCode(http)).toBe('UNAUTHENTICATED');
    const result = await new Promise<{ data?: unknown; error?: unknown }>((resolveResult) => {
      client.subscribe(
        { query: '{ me { name } }' },
        {
          next: (value) => resolveResult({ data: value.data }),
          error: (error) => resolveResult({ error }),
          complete: () => undefined,
        },
      );
    });
    expect(result.data ?? null).toBeNull();
    expect(await closed).toBe(4403);
    await client.dispose();

    const past = await graphql(
      t.url,
      t.keys[Role.ADMIN],
      'mutation($at: DateTime!) { createApiKey(name: "late", role: VIEWER, expiresAt: $at) { secret } }',
      { at: new Date(Date.now() - 1000).toISOString() },
    );
    expect(errorCode(past)).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(past.errors)).toContain('expiresAt');
  }, 180_000);

  it('closes a socket of an expiring key when its time comes, with no operation sent', async () => {
    const created = await graphql(
      t.url,
      t.keys[Role.ADMIN],
      'mutation($at: DateTime!) { createApiKey(name: "timer", role: VIEWER, expiresAt: $at) { secret } }',
      { at: new Date(Date.now() + 15_000).toISOString() },
    );
    const client = wsClient(created.data!.createApiKey.secret);
    const closed = new Promise<number>((resolveClose) =>
      client.on('closed', (event) => resolveClose((event as { code: number }).code)),
    );
    expect(await closed).toBe(4403);
    await client.dispose();
  });
});
