import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, bearerToken, hashKey, isKeyActive, issueApiKey } from '../../src/auth/apiKeys.js';
import { announceRevocation, keyRevokedChannel } from '../../src/auth/revocations.js';
import { Permission, Role, roleAllows } from '../../src/auth/roles.js';
import { openDatabase, type Database } from '../../src/core/db/client.js';
import { migrate } from '../../src/core/db/migrate.js';
import type { ApiKeyId } from '../../src/core/ids/ids.js';
import { createLogger } from '../../src/core/logging/logger.js';
import { createTestDatabase } from '../support/testPlatform.js';

let database: Database;

beforeAll(async () => {
  database = openDatabase(await createTestDatabase());
  await migrate(database.pool, createLogger('silent'));
});
afterAll(async () => database?.close());

describe('roles', () => {
  it('grant exactly the permissions of the README table', () => {
    const granted = (role: Role) => Object.values(Permission).filter((p) => roleAllows(role, p));
    expect(granted(Role.VIEWER)).toEqual([Permission.Read]);
    expect(granted(Role.OPERATOR)).toEqual([Permission.Read, Permission.Operate]);
    expect(granted(Role.AUDITOR)).toEqual([Permission.Read, Permission.Audit]);
    expect(granted(Role.ADMIN)).toEqual([Permission.Read, Permission.Operate, Permission.Audit, Permission.Admin]);
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer brn_ab_cd', 'brn_ab_cd'],
    ['bearer brn_ab_cd', 'brn_ab_cd'],
    ['  Bearer \t brn_ab_cd  ', 'brn_ab_cd'],
  ])('reads the key of %j', (header, key) => {
    expect(bearerToken(header)).toBe(key);
  });

  it.each([
    undefined,
    null,
    42,
    {},
    '',
    'brn_ab_cd',
    'Basic brn_ab_cd',
    'Bearer',
    'Bearer ',
    'Bearer a b',
    'xBearer a',
  ])('finds no key in %j', (header) => {
    expect(bearerToken(header)).toBeUndefined();
  });
});

describe('API keys', () => {
  it('issues a key whose secret is shown once and stored only as its sha256', async () => {
    const issued = await issueApiKey(database.prisma, 'ci', Role.OPERATOR);
    expect(issued.secret).toMatch(/^brn_[0-9a-f]{8}_[A-Za-z0-9_-]{32}$/);
    expect(issued.secret.split('_')[1]).toBe(issued.row.prefix);
    expect(issued.id).toBe(issued.row.id);
    expect(issued.row).toMatchObject({ name: 'ci', role: Role.OPERATOR, revokedAt: null });
    expect(issued.row.keyHash).toBe(createHash('sha256').update(issued.secret).digest('hex'));
    expect(hashKey(issued.secret)).toBe(issued.row.keyHash);
    const other = await issueApiKey(database.prisma, 'ci', Role.OPERATOR);
    expect(other.secret).not.toBe(issued.secret);
    expect(other.row.prefix).not.toBe(issued.row.prefix);
  });

  it('authenticates a live key as its principal, and nothing else', async () => {
    const issued = await issueApiKey(database.prisma, 'reader', Role.VIEWER);
    expect(await authenticate(database.prisma, issued.secret)).toEqual({
      keyId: issued.id,
      role: Role.VIEWER,
      name: 'reader',
      expiresAt: null,
    });
    expect(await authenticate(database.prisma, `${issued.secret}x`)).toBeUndefined();
    expect(await authenticate(database.prisma, '')).toBeUndefined();
    expect(await isKeyActive(database.prisma, issued.id)).toBe(true);
    expect(await isKeyActive(database.prisma, '00000000-0000-4000-8000-000000000000' as ApiKeyId)).toBe(false);
  });

  it('refuses a revoked key, at authentication and on an open socket', async () => {
    const issued = await issueApiKey(database.prisma, 'gone', Role.ADMIN);
    await database.prisma.apiKey.update({ where: { id: issued.id }, data: { revokedAt: new Date() } });
    expect(await authenticate(database.prisma, issued.secret)).toBeUndefined();
    expect(await isKeyActive(database.prisma, issued.id)).toBe(false);
  });

  it('accepts a key until it expires, and refuses it from then on', async () => {
    const inAnHour = new Date(Date.now() + 3_600_000);
    const later = await issueApiKey(database.prisma, 'later', Role.AUDITOR, inAnHour);
    expect(later.row.expiresAt).toEqual(inAnHour);
    expect(await authenticate(database.prisma, later.secret)).toMatchObject({ keyId: later.id, expiresAt: inAnHour });
    expect(await isKeyActive(database.prisma, later.id)).toBe(true);
    const expired = await issueApiKey(database.prisma, 'expired', Role.AUDITOR, new Date(Date.now() - 1000));
    expect(await authenticate(database.prisma, expired.secret)).toBeUndefined();
    expect(await isKeyActive(database.prisma, expired.id)).toBe(false);
    // Expired and revoked: refused either way.
    await database.prisma.apiKey.update({ where: { id: later.id }, data: { revokedAt: new Date() } });
    expect(await authenticate(database.prisma, later.secret)).toBeUndefined();
  });

  it('announces a revocation on its channel only when the transaction commits', async () => {
    const issued = await issueApiKey(database.prisma, 'watched', Role.VIEWER);
    const listener = await database.pool.connect();
    const heard: string[] = [];
    listener.on('notification', (message) => heard.push(`${message.channel}:${message.payload}`));
    try {
      await listener.query(`LISTEN ${keyRevokedChannel}`);
      await database.prisma
        .$transaction(async (tx) => {
          await announceRevocation(tx, issued.id);
          throw new Error('rolled back');
        })
        .catch(() => undefined);
      await database.prisma.$transaction((tx) => announceRevocation(tx, issued.id));
      // A NOTIFY of our own after the revocation's: once it is heard, everything before it was.
      await database.pool.query(`SELECT pg_notify($1, 'marker')`, [keyRevokedChannel]);
      const deadline = Date.now() + 30_000;
      while (!heard.includes(`${keyRevokedChannel}:marker`) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(heard).toEqual([`${keyRevokedChannel}:${issued.id}`, `${keyRevokedChannel}:marker`]);
    } finally {
      listener.release();
    }
  });
});
