import type { ApiKeyId } from '../core/ids/ids.js';

/** Postgres channel on which a revocation reaches every API process, to close the key's sockets. */
export const keyRevokedChannel = 'brownian_api_key_revoked';

interface RawStatement {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<number>;
}

/** NOTIFY inside the revoking transaction: no socket is closed for a revocation that rolls back. */
export async function announceRevocation(tx: RawStatement, keyId: ApiKeyId): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${keyRevokedChannel}, ${keyId})`;
}
