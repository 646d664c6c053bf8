-- Issue 11: re-derivation of samples from their provenance, checked digest by digest by a worker job.
CREATE TABLE "Verification" (
    "id" UUID NOT NULL,
    "subjectKind" "ProvenanceSubjectKind" NOT NULL,
    "subjectId" UUID NOT NULL,
    "sampleCount" INTEGER NOT NULL,
    "status" "ExportStatus" NOT NULL DEFAULT 'QUEUED',
    "checked" INTEGER NOT NULL DEFAULT 0,
    "mismatches" INTEGER NOT NULL DEFAULT 0,
    "results" JSONB NOT NULL DEFAULT '[]',
    "error" TEXT,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Verification_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "Verification_subjectId_idx" ON "Verification"("subjectId");
