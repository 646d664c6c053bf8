-- The digest of a write in progress: an overwrite interrupted between the object store and the ledger
-- leaves either the old or the new bytes, and both are the platform's own.
ALTER TABLE "StoredObject" ADD COLUMN "pendingSha256" TEXT;
