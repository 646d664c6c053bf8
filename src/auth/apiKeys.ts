import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient } from '../core/db/client.js';
import type { ApiKeyId } from '../core/ids/ids.js';
import type * as db from '../generated/prisma/client.js';
import type { Role } from './roles.js';

export interface Principal {
  keyId: ApiKeyId;
  role: Role;
  name: string;
  /** When the key stops working; null when it never does. */
  expiresAt: Date | null;
}

export interface IssuedKey {
  id: ApiKeyId;
  row: db.ApiKey;
  /** Shown once; only its hash is stored. */
  secret: string;
}

export function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Takes a transaction too, so that a key and its audit entry are written together. */
export async function issueApiKey(
  prisma: Pick<PrismaClient, 'apiKey'>,
  name: string,
  role: Role,
  expiresAt: Date | null = null,
): Promise<IssuedKey> {
  const prefix = randomBytes(4).toString('hex');
  const secret = `brn_${prefix}_${randomBytes(24).toString('base64url')}`;
  const row = await prisma.apiKey.create({ data: { name, role, prefix, keyHash: hashKey(secret), expiresAt } });
  return { id: row.id as ApiKeyId, row, secret };
}

export async function authenticate(prisma: PrismaClient, secret: string): Promise<Principal | undefined> {
  const row = await prisma.apiKey.findUnique({ where: { keyHash: hashKey(secret) } });
  if (!row || !isLive(row)) return undefined;
  return { keyId: row.id as ApiKeyId, role: row.role, name: row.name, expiresAt: row.expiresAt };
}

function isLive(row: Pick<db.ApiKey, 'revokedAt' | 'expiresAt'>, now = new Date()): boolean {
  return row.revokedAt === null && (row.expiresAt === null || row.expiresAt > now);
}

/** Whether a key authenticated earlier still may act (not revoked, not expired): checked again for every operation on an open socket. */
export async function isKeyActive(prisma: PrismaClient, keyId: ApiKeyId): Promise<boolean> {
  const row = await prisma.apiKey.findUnique({ where: { id: keyId }, select: { revokedAt: true, expiresAt: true } });
  return row !== null && isLive(row);
}

/** `Bearer <key>` from an HTTP header or a graphql-ws connection_init payload. */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}
