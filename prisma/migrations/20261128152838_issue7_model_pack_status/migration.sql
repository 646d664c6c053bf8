-- A pack is registered PENDING and a worker's dry run makes it READY or REJECTED. Packs
-- registered before this migration passed the dry run inside the API, so they are READY.
CREATE TYPE "PackStatus" AS ENUM ('PENDING', 'READY', 'REJECTED');

ALTER TABLE "ModelPack"
  ADD COLUMN "status" "PackStatus" NOT NULL DEFAULT 'READY',
  ADD COLUMN "error" TEXT,
  ADD COLUMN "verifiedAt" TIMESTAMP(3);

ALTER TABLE "ModelPack" ALTER COLUMN "status" SET DEFAULT 'PENDING';
