import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../src/auth/apiKeys.js';
import { KeyCache } from '../../src/auth/keyCache.js';
import { Role } from '../../src/auth/roles.js';
import { openDatabase, type Database } from '../../src/core/db/client.js';
import { migrate } from '../../src/core/db/migrate.js';
import { createLogger } from '../../src/core/logging/logger.js';
import { graphql } from '../support/graphqlClient.js';
import { createTestDatabase, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

let database: Database;
let statements = 0;

beforeAll(async () => {
  database = openDatabase(await createTestDatabase(), { onStatement: () => statements++ });
  await migrate(database.pool, createLogger('silent'));
});
afterAll(async () => database?.close());

async function statementsOf<T>(work: () => Promise<T>): Promise<{ value: T; statements: number }> {
  const before = statements;
  const value = await work();
  return { value, statements: statements - before };
}

describe('KeyCache', () => {
  it('looks a live key up once, and an unknown key every time', async () => {
    const cache = new KeyCache(database.prisma);
    const issued = await issueApiKey(database.prisma, 'reader', Role.VIEWER);
    const first = await statementsOf(() => cache.authenticate(issued.secret));
    expect(first).toEqual({
      value: { keyId: issued.id, role: Role.VIEWER, name: 'reader', expiresAt: null },
      statements: 1,
    });
    expect(await statementsOf(() => cache.authenticate(issued.secret))).toEqual({ ...first, statements: 0 });
    for (let i = 0; i < 2; i++) {
      expect(await statementsOf(() => cache.authenticate(`${issued.secret}x`))).toEqual({
        value: undefined,
        statements: 1,
      });
    }
  });

  it('refuses a forgotten key that was revoked, and an expired one without asking the database', async () => {
    const cache = new KeyCache(database.prisma);
    const revoked = await issueApiKey(database.prisma, 'revoked', Role.ADMIN);
    await cache.authenticate(revoked.secret);
    await database.prisma.apiKey.update({ where: { id: revoked.id }, data: { revokedAt: new Date() } });
    cache.forget(revoked.id);
    expect(await cache.authenticate(revoked.secret)).toBeUndefined();

    const expiresAt = new Date(Date.now() + 1500);
    const shortLived = await issueApiKey(database.prisma, 'short', Role.VIEWER, expiresAt);
    expect(await cache.authenticate(shortLived.secret)).toMatchObject({ keyId: shortLived.id });
    while (Date.now() <= expiresAt.getTime()) await new Promise((r) => setTimeout(r, 100));
    expect((await statementsOf(() => cache.authenticate(shortLived.secret))).value).toBeUndefined();
  });

  it('does not keep what a lookup read while a revocation arrived', async () => {
    const cache = new KeyCache(database.prisma);
    const issued = await issueApiKey(database.prisma, 'racing', Role.OPERATOR);
    const lookup = cache.authenticate(issued.secret);
    // The notification of a revocation that committed after the lookup read the row.
    cache.forget(issued.id);
    expect(await lookup).toMatchObject({ keyId: issued.id });
    expect((await statementsOf(() => cache.authenticate(issued.secret))).statements).toBe(1);
  });

  it('looks every key up again after forgetAll (revocations missed while not listening)', async () => {
    const cache = new KeyCache(database.prisma);
    const issued = await issueApiKey(database.prisma, 'relisten', Role.VIEWER);
    await cache.authenticate(issued.secret);
    cache.forgetAll();
    expect((await statementsOf(() => cache.authenticate(issued.secret))).statements).toBe(1);
  });

  it('looks a key up again once its entry is older than the maximum age', async () => {
    const cache = new KeyCache(database.prisma, 200);
    const issued = await issueApiKey(database.prisma, 'aged', Role.VIEWER);
    await cache.authenticate(issued.secret);
    const cachedBy = Date.now();
    while (Date.now() - cachedBy <= 250) await new Promise((r) => setTimeout(r, 50));
    expect((await statementsOf(() => cache.authenticate(issued.secret))).statements).toBe(1);
  });
});

describe('a revocation in one API process', () => {
  let a: TestPlatform;
  let b: TestPlatform;
  beforeAll(async () => {
    a = await startTestPlatform();
    // A second API process on the same database and object store.
    b = await startTestPlatform(
      { api: true, worker: false },
      { DATABASE_URL: a.env.DATABASE_URL!, S3_BUCKET: a.env.S3_BUCKET! },
    );
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('stops the key at once there and, by its notification, in the other process that knew it', async () => {
    const issued = await graphql(
      a.url,
      a.keys[Role.ADMIN],
      'mutation { createApiKey(name: "both", role: VIEWER) { apiKey { id } secret } }',
    );
    const { apiKey, secret } = issued.data!.createApiKey as { apiKey: { id: string }; secret: string };
    const id = apiKey.id;
    for (const server of [a, b])
      expect((await graphql(server.url, secret, '{ runs { totalCount } }')).errors).toBeUndefined();
    const revoked = await graphql(a.url, a.keys[Role.ADMIN], 'mutation($id: ID!) { revokeApiKey(id: $id) { id } }', {
      id,
    });
    expect(revoked.errors).toBeUndefined();
    const refusedAt = async (url: string) =>
      (await graphql(url, secret, '{ runs { totalCount } }')).errors?.[0]?.extensions?.code;
    expect(await refusedAt(a.url)).toBe('UNAUTHENTICATED');
    const deadline = Date.now() + 60_000;
    let code = await refusedAt(b.url);
    while (code !== 'UNAUTHENTICATED' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      code = await refusedAt(b.url);
    }
    expect(code).toBe('UNAUTHENTICATED');
  });
});
