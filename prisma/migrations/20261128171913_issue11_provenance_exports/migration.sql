-- Issue 11: provenance documents of large subjects, written to the object store by a worker job.
CREATE TYPE "ProvenanceSubjectKind" AS ENUM ('SAMPLE', 'IDENTITY', 'RUN', 'AUDIT', 'EXPORT', 'DATASET');

CREATE TYPE "ProvenanceFormat" AS ENUM ('PROV_JSON', 'PROV_N');

CREATE TABLE "ProvenanceExport" (
    "id" UUID NOT NULL,
    "subjectId" UUID NOT NULL,
    "subjectKind" "ProvenanceSubjectKind" NOT NULL,
    "format" "ProvenanceFormat" NOT NULL,
    "status" "ExportStatus" NOT NULL DEFAULT 'QUEUED',
    "statements" INTEGER NOT NULL DEFAULT 0,
    "objectKey" TEXT,
    "sha256" TEXT,
    "size" BIGINT,
    "error" TEXT,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "ProvenanceExport_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "ProvenanceExport_subjectId_idx" ON "ProvenanceExport"("subjectId");
