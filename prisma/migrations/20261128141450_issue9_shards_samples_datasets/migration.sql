-- Issue 9: Dispersion / DisCo shards, samples linked to their shard, datasets and their exports.
-- No release ever wrote Sample rows, so the new NOT NULL column needs no backfill.

-- CreateEnum
CREATE TYPE "ExportFormat" AS ENUM ('IMAGE_FOLDER', 'INSIGHTFACE_REC', 'WEBDATASET');

-- CreateEnum
CREATE TYPE "ExportStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED');

-- CreateTable
CREATE TABLE "RunShard" (
    "id" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "identityIndices" INTEGER[],
    "status" "RunStatus" NOT NULL DEFAULT 'QUEUED',
    "iteration" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "errorIteration" INTEGER,
    "workerHost" TEXT,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "RunShard_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ShardIteration" (
    "shardId" UUID NOT NULL,
    "iteration" INTEGER NOT NULL,
    "stats" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ShardIteration_pkey" PRIMARY KEY ("shardId","iteration")
);

-- AlterTable
ALTER TABLE "Sample" ADD COLUMN "shardId" UUID NOT NULL,
ADD COLUMN "covariateCoefficients" DOUBLE PRECISION[] DEFAULT ARRAY[]::DOUBLE PRECISION[];

-- CreateTable
CREATE TABLE "Dataset" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "manifestKey" TEXT NOT NULL,
    "identityCount" INTEGER NOT NULL,
    "sampleCount" INTEGER NOT NULL,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Dataset_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DatasetRun" (
    "datasetId" UUID NOT NULL,
    "runId" UUID NOT NULL,

    CONSTRAINT "DatasetRun_pkey" PRIMARY KEY ("datasetId","runId")
);

-- CreateTable
CREATE TABLE "DatasetMember" (
    "datasetId" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "label" INTEGER NOT NULL,
    "identityId" UUID NOT NULL,
    "sampleId" UUID,
    "imageSha256" TEXT NOT NULL,

    CONSTRAINT "DatasetMember_pkey" PRIMARY KEY ("datasetId","position")
);

-- CreateTable
CREATE TABLE "DatasetExport" (
    "id" UUID NOT NULL,
    "datasetId" UUID NOT NULL,
    "format" "ExportFormat" NOT NULL,
    "options" JSONB NOT NULL,
    "status" "ExportStatus" NOT NULL DEFAULT 'QUEUED',
    "done" INTEGER NOT NULL DEFAULT 0,
    "total" INTEGER NOT NULL,
    "objectKey" TEXT,
    "sha256" TEXT,
    "size" BIGINT,
    "error" TEXT,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "DatasetExport_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "RunShard_runId_index_key" ON "RunShard"("runId", "index");

-- CreateIndex
CREATE INDEX "Sample_shardId_idx" ON "Sample"("shardId");

-- CreateIndex
CREATE INDEX "Dataset_createdAt_id_idx" ON "Dataset"("createdAt", "id");

-- CreateIndex
CREATE INDEX "DatasetRun_runId_idx" ON "DatasetRun"("runId");

-- CreateIndex
CREATE INDEX "DatasetMember_identityId_idx" ON "DatasetMember"("identityId");

-- CreateIndex
CREATE INDEX "DatasetMember_sampleId_idx" ON "DatasetMember"("sampleId");

-- CreateIndex
CREATE INDEX "DatasetExport_datasetId_idx" ON "DatasetExport"("datasetId");

-- AddForeignKey
ALTER TABLE "RunShard" ADD CONSTRAINT "RunShard_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ShardIteration" ADD CONSTRAINT "ShardIteration_shardId_fkey" FOREIGN KEY ("shardId") REFERENCES "RunShard"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Sample" ADD CONSTRAINT "Sample_shardId_fkey" FOREIGN KEY ("shardId") REFERENCES "RunShard"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Dataset" ADD CONSTRAINT "Dataset_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "ApiKey"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DatasetRun" ADD CONSTRAINT "DatasetRun_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DatasetRun" ADD CONSTRAINT "DatasetRun_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DatasetMember" ADD CONSTRAINT "DatasetMember_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DatasetMember" ADD CONSTRAINT "DatasetMember_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DatasetMember" ADD CONSTRAINT "DatasetMember_sampleId_fkey" FOREIGN KEY ("sampleId") REFERENCES "Sample"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DatasetExport" ADD CONSTRAINT "DatasetExport_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DatasetExport" ADD CONSTRAINT "DatasetExport_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "ApiKey"("id") ON DELETE SET NULL ON UPDATE CASCADE;
