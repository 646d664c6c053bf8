-- Issue 10: leakage audits, protected galleries and the audit -> exclusion loop.
-- No code wrote LeakageAudit or LeakageMatch before this migration, so both are recreated.

CREATE TYPE "GalleryStatus" AS ENUM ('PENDING', 'READY', 'FAILED');
CREATE TYPE "AuditScope" AS ENUM ('IDENTITIES', 'SAMPLES', 'BOTH');
CREATE TYPE "ThresholdSource" AS ENUM ('COSINE', 'ANGLE', 'FALSE_MATCH_RATE');

ALTER TABLE "Gallery"
    ADD COLUMN "recognizerDigest" TEXT NOT NULL DEFAULT 'unknown',
    ADD COLUMN "status" "GalleryStatus" NOT NULL DEFAULT 'READY',
    ADD COLUMN "error" TEXT,
    ADD COLUMN "maxRowsPerSubject" INTEGER NOT NULL DEFAULT 1,
    ADD COLUMN "impostorSimilarities" BYTEA,
    ADD COLUMN "createdById" UUID;
ALTER TABLE "Gallery" ALTER COLUMN "recognizerDigest" DROP DEFAULT;

ALTER TABLE "GallerySubject" ADD COLUMN "row" INTEGER, ADD COLUMN "imageKey" TEXT;
UPDATE "GallerySubject" s SET "row" = n.r
FROM (SELECT "id", (row_number() OVER (PARTITION BY "galleryId" ORDER BY "label")) - 1 AS r FROM "GallerySubject") n
WHERE s."id" = n."id";
ALTER TABLE "GallerySubject" ALTER COLUMN "row" SET NOT NULL;
DROP INDEX "GallerySubject_galleryId_label_key";
CREATE UNIQUE INDEX "GallerySubject_galleryId_row_key" ON "GallerySubject"("galleryId", "row");
CREATE INDEX "GallerySubject_galleryId_label_idx" ON "GallerySubject"("galleryId", "label");

DROP TABLE "LeakageMatch";
DROP TABLE "LeakageAudit";

CREATE TABLE "LeakageAudit" (
    "id" UUID NOT NULL,
    "galleryId" UUID,
    "galleryName" TEXT NOT NULL,
    "galleryDigest" TEXT NOT NULL,
    "recognizerDigest" TEXT NOT NULL,
    "scope" "AuditScope" NOT NULL,
    "topK" INTEGER NOT NULL,
    "threshold" DOUBLE PRECISION NOT NULL,
    "thresholdSource" "ThresholdSource" NOT NULL,
    "targetFalseMatchRate" DOUBLE PRECISION,
    "falseMatchRate" DOUBLE PRECISION,
    "status" "AuditStatus" NOT NULL DEFAULT 'QUEUED',
    "error" TEXT,
    "queryCount" INTEGER NOT NULL DEFAULT 0,
    "shardSize" INTEGER NOT NULL,
    "shardCount" INTEGER NOT NULL DEFAULT 0,
    "shardsDone" INTEGER NOT NULL DEFAULT 0,
    "summary" JSONB,
    "followsAuditId" UUID,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    CONSTRAINT "LeakageAudit_pkey" PRIMARY KEY ("id")
);
ALTER TABLE "LeakageAudit" ADD CONSTRAINT "LeakageAudit_galleryId_fkey" FOREIGN KEY ("galleryId") REFERENCES "Gallery"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "LeakageAudit" ADD CONSTRAINT "LeakageAudit_followsAuditId_fkey" FOREIGN KEY ("followsAuditId") REFERENCES "LeakageAudit"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TABLE "LeakageAuditRun" (
    "auditId" UUID NOT NULL,
    "runId" UUID NOT NULL,
    CONSTRAINT "LeakageAuditRun_pkey" PRIMARY KEY ("auditId", "runId")
);
CREATE INDEX "LeakageAuditRun_runId_idx" ON "LeakageAuditRun"("runId");
ALTER TABLE "LeakageAuditRun" ADD CONSTRAINT "LeakageAuditRun_auditId_fkey" FOREIGN KEY ("auditId") REFERENCES "LeakageAudit"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "LeakageAuditRun" ADD CONSTRAINT "LeakageAuditRun_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "LeakageMatch" (
    "id" UUID NOT NULL,
    "auditId" UUID NOT NULL,
    "shard" INTEGER NOT NULL,
    "identityId" UUID NOT NULL,
    "sampleId" UUID,
    "subjectId" UUID,
    "rank" INTEGER NOT NULL,
    "similarity" DOUBLE PRECISION NOT NULL,
    "distance" DOUBLE PRECISION NOT NULL,
    "aboveThreshold" BOOLEAN NOT NULL,
    CONSTRAINT "LeakageMatch_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "LeakageMatch_auditId_similarity_idx" ON "LeakageMatch"("auditId", "similarity" DESC);
CREATE INDEX "LeakageMatch_auditId_aboveThreshold_identityId_idx" ON "LeakageMatch"("auditId", "aboveThreshold", "identityId");
CREATE INDEX "LeakageMatch_auditId_shard_idx" ON "LeakageMatch"("auditId", "shard");
CREATE INDEX "LeakageMatch_identityId_idx" ON "LeakageMatch"("identityId");
ALTER TABLE "LeakageMatch" ADD CONSTRAINT "LeakageMatch_auditId_fkey" FOREIGN KEY ("auditId") REFERENCES "LeakageAudit"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "LeakageMatch" ADD CONSTRAINT "LeakageMatch_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "LeakageMatch" ADD CONSTRAINT "LeakageMatch_sampleId_fkey" FOREIGN KEY ("sampleId") REFERENCES "Sample"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "LeakageMatch" ADD CONSTRAINT "LeakageMatch_subjectId_fkey" FOREIGN KEY ("subjectId") REFERENCES "GallerySubject"("id") ON DELETE SET NULL ON UPDATE CASCADE;

ALTER TABLE "Run" ADD COLUMN "sourceAuditId" UUID;
ALTER TABLE "Run" ADD CONSTRAINT "Run_sourceAuditId_fkey" FOREIGN KEY ("sourceAuditId") REFERENCES "LeakageAudit"("id") ON DELETE SET NULL ON UPDATE CASCADE;
