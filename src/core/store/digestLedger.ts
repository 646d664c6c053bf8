import type { PrismaClient } from '../db/client.js';

/**
 * Where the object store records the digest of what it writes, and looks it up when it reads. A
 * write is announced (`begin`) before the bytes go to the store and confirmed (`commit`) after:
 * a write cut off between the two (the database or the store gone mid-way) leaves either the old
 * bytes or the new ones in the store, and the ledger accepts both until the next write confirms one.
 */
export interface DigestLedger {
  begin(key: string, sha256: string, size: number): Promise<void>;
  commit(key: string, sha256: string, size: number): Promise<void>;
  /** The digests the object may have: the confirmed one first, then one in flight. */
  expected(key: string): Promise<string[] | undefined>;
  forget(key: string): Promise<void>;
}

/** The ledger in Postgres: the database is the platform's record of truth, the object store is not. */
export function databaseDigestLedger(prisma: PrismaClient): DigestLedger {
  return {
    async begin(key, sha256, size) {
      await prisma.storedObject.upsert({
        where: { key },
        create: { key, sha256, size: BigInt(size), pendingSha256: sha256 },
        update: { pendingSha256: sha256 },
      });
    },
    async commit(key, sha256, size) {
      await prisma.storedObject.update({
        where: { key },
        data: { sha256, size: BigInt(size), pendingSha256: null, recordedAt: new Date() },
      });
    },
    async expected(key) {
      const row = await prisma.storedObject.findUnique({
        where: { key },
        select: { sha256: true, pendingSha256: true },
      });
      if (!row) return undefined;
      return row.pendingSha256 && row.pendingSha256 !== row.sha256 ? [row.sha256, row.pendingSha256] : [row.sha256];
    },
    async forget(key) {
      await prisma.storedObject.deleteMany({ where: { key } });
    },
  };
}
