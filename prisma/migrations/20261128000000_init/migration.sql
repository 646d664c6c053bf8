-- CreateEnum
CREATE TYPE "Role" AS ENUM ('VIEWER', 'OPERATOR', 'AUDITOR', 'ADMIN');

-- CreateEnum
CREATE TYPE "RunKind" AS ENUM ('LANGEVIN', 'DISPERSION', 'DISCO');

-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "AuditStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED');

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "keyHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditLogEntry" (
    "id" BIGSERIAL NOT NULL,
    "apiKeyId" UUID,
    "operation" TEXT NOT NULL,
    "target" TEXT,
    "details" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditLogEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ModelPack" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "manifest" JSONB NOT NULL,
    "storagePrefix" TEXT NOT NULL,
    "latentDim" INTEGER NOT NULL,
    "embeddingDim" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ModelPack_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Run" (
    "id" UUID NOT NULL,
    "kind" "RunKind" NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'QUEUED',
    "parameters" JSONB NOT NULL,
    "seed" BIGINT NOT NULL,
    "modelPackId" UUID NOT NULL,
    "parentRunId" UUID,
    "exclusionGalleryId" UUID,
    "createdById" UUID,
    "iteration" INTEGER NOT NULL DEFAULT 0,
    "totalIterations" INTEGER NOT NULL,
    "error" TEXT,
    "errorIteration" INTEGER,
    "summary" JSONB,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "codeVersion" TEXT,
    "workerHost" TEXT,
    "executionProvider" TEXT,

    CONSTRAINT "Run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RunIteration" (
    "runId" UUID NOT NULL,
    "iteration" INTEGER NOT NULL,
    "stats" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RunIteration_pkey" PRIMARY KEY ("runId","iteration")
);

-- CreateTable
CREATE TABLE "Identity" (
    "id" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "latent" BYTEA NOT NULL,
    "embedding" BYTEA NOT NULL,
    "imageKey" TEXT NOT NULL,
    "imageSha256" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Identity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Sample" (
    "id" UUID NOT NULL,
    "identityId" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "label" INTEGER NOT NULL,
    "variation" INTEGER NOT NULL,
    "latent" BYTEA NOT NULL,
    "embedding" BYTEA NOT NULL,
    "imageKey" TEXT NOT NULL,
    "imageSha256" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Sample_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Gallery" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "embeddingDim" INTEGER NOT NULL,
    "digest" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Gallery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GallerySubject" (
    "id" UUID NOT NULL,
    "galleryId" UUID NOT NULL,
    "label" TEXT NOT NULL,
    "embedding" BYTEA NOT NULL,

    CONSTRAINT "GallerySubject_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LeakageAudit" (
    "id" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "galleryId" UUID NOT NULL,
    "threshold" DOUBLE PRECISION NOT NULL,
    "status" "AuditStatus" NOT NULL DEFAULT 'QUEUED',
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "LeakageAudit_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LeakageMatch" (
    "id" UUID NOT NULL,
    "auditId" UUID NOT NULL,
    "identityId" UUID NOT NULL,
    "subjectId" UUID NOT NULL,
    "distance" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "LeakageMatch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WorkerHeartbeat" (
    "id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "executionProvider" TEXT NOT NULL,
    "codeVersion" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WorkerHeartbeat_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_keyHash_key" ON "ApiKey"("keyHash");

-- CreateIndex
CREATE INDEX "AuditLogEntry_createdAt_idx" ON "AuditLogEntry"("createdAt");

-- CreateIndex
CREATE INDEX "AuditLogEntry_apiKeyId_createdAt_idx" ON "AuditLogEntry"("apiKeyId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "ModelPack_digest_key" ON "ModelPack"("digest");

-- CreateIndex
CREATE INDEX "Run_status_createdAt_idx" ON "Run"("status", "createdAt");

-- CreateIndex
CREATE INDEX "Run_createdAt_id_idx" ON "Run"("createdAt", "id");

-- CreateIndex
CREATE INDEX "Run_parentRunId_idx" ON "Run"("parentRunId");

-- CreateIndex
CREATE INDEX "Run_modelPackId_idx" ON "Run"("modelPackId");

-- CreateIndex
CREATE UNIQUE INDEX "Identity_runId_index_key" ON "Identity"("runId", "index");

-- CreateIndex
CREATE INDEX "Sample_identityId_idx" ON "Sample"("identityId");

-- CreateIndex
CREATE UNIQUE INDEX "Sample_runId_identityId_variation_key" ON "Sample"("runId", "identityId", "variation");

-- CreateIndex
CREATE UNIQUE INDEX "GallerySubject_galleryId_label_key" ON "GallerySubject"("galleryId", "label");

-- CreateIndex
CREATE INDEX "LeakageAudit_runId_idx" ON "LeakageAudit"("runId");

-- CreateIndex
CREATE INDEX "LeakageMatch_auditId_idx" ON "LeakageMatch"("auditId");

-- CreateIndex
CREATE INDEX "LeakageMatch_identityId_idx" ON "LeakageMatch"("identityId");

-- AddForeignKey
ALTER TABLE "AuditLogEntry" ADD CONSTRAINT "AuditLogEntry_apiKeyId_fkey" FOREIGN KEY ("apiKeyId") REFERENCES "ApiKey"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_modelPackId_fkey" FOREIGN KEY ("modelPackId") REFERENCES "ModelPack"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_parentRunId_fkey" FOREIGN KEY ("parentRunId") REFERENCES "Run"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_exclusionGalleryId_fkey" FOREIGN KEY ("exclusionGalleryId") REFERENCES "Gallery"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "ApiKey"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RunIteration" ADD CONSTRAINT "RunIteration_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Identity" ADD CONSTRAINT "Identity_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Sample" ADD CONSTRAINT "Sample_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Sample" ADD CONSTRAINT "Sample_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GallerySubject" ADD CONSTRAINT "GallerySubject_galleryId_fkey" FOREIGN KEY ("galleryId") REFERENCES "Gallery"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LeakageAudit" ADD CONSTRAINT "LeakageAudit_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LeakageAudit" ADD CONSTRAINT "LeakageAudit_galleryId_fkey" FOREIGN KEY ("galleryId") REFERENCES "Gallery"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LeakageMatch" ADD CONSTRAINT "LeakageMatch_auditId_fkey" FOREIGN KEY ("auditId") REFERENCES "LeakageAudit"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LeakageMatch" ADD CONSTRAINT "LeakageMatch_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LeakageMatch" ADD CONSTRAINT "LeakageMatch_subjectId_fkey" FOREIGN KEY ("subjectId") REFERENCES "GallerySubject"("id") ON DELETE CASCADE ON UPDATE CASCADE;
