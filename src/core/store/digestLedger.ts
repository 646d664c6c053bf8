import type { PrismaClient } from '../db/client.js';

/** Where the object store records the digest of what it writes, and looks it up when it reads. */
export interface DigestLedger {
  record(key: string, sha256: string, size: number): Promise<void>;
  expected(key: string): Promise<string | undefined>;
  forget(key: string): Promise<void>;
}

/** The ledger in Postgres: the database is the platform's record of truth, the object store is not. */
export function databaseDigestLedger(prisma: PrismaClient): DigestLedger {
  return {
    async record(key, sha256, size) {
      await prisma.storedObject.upsert({
        where: { key },
        create: { key, sha256, size: BigInt(size) },
        update: { sha256, size: BigInt(size), recordedAt: new Date() },
      });
    },
    async expected(key) {
      return (await prisma.storedObject.findUnique({ where: { key }, select: { sha256: true } }))?.sha256;
    },
    async forget(key) {
      await prisma.storedObject.deleteMany({ where: { key } });
    },
  };
}
