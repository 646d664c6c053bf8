import type { PrismaClient } from '../core/db/client.js';
import type { ApiKeyId } from '../core/ids/ids.js';
import { authenticate, hashKey, type Principal } from './apiKeys.js';

interface Entry {
  principal: Principal;
  cachedAt: number;
}

/**
 * Principals of keys that authenticated recently, so that a request costs no statement for its key
 * (under load the key lookup was one statement in five of a typical query; docs/operations.md, "API keys").
 * Revocations reach every API process as a notification (revocations.ts) and remove the key here;
 * the revoking process also removes it as soon as its transaction commits. Only live keys are kept,
 * expiry is checked on every use, and an entry older than `maxAgeMs` is looked up again: a
 * notification lost without the listener noticing, or a key changed in SQL behind the API's back,
 * takes effect within that time.
 */
export class KeyCache {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by every removal: a lookup that began before one must not store what it read. */
  private generation = 0;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly maxAgeMs = 10_000,
    private readonly maxEntries = 10_000,
  ) {}

  async authenticate(secret: string): Promise<Principal | undefined> {
    const hash = hashKey(secret);
    const now = Date.now();
    const entry = this.entries.get(hash);
    if (entry) {
      const { principal, cachedAt } = entry;
      if (now - cachedAt < this.maxAgeMs && (principal.expiresAt === null || principal.expiresAt.getTime() > now)) {
        return principal;
      }
      this.entries.delete(hash);
    }
    const generation = this.generation;
    const principal = await authenticate(this.prisma, secret);
    if (principal && generation === this.generation) {
      // Maps keep insertion order: when full, the entry cached longest ago goes.
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(hash, { principal, cachedAt: now });
    }
    return principal;
  }

  /** A key was revoked: it stops authenticating here at once. */
  forget(keyId: ApiKeyId): void {
    this.generation++;
    for (const [hash, { principal }] of this.entries) if (principal.keyId === keyId) this.entries.delete(hash);
  }

  /** Revocations may have been missed (the listener was down): every key is looked up again. */
  forgetAll(): void {
    this.generation++;
    this.entries.clear();
  }
}
