-- Issue 11: OpenLineage events, written in the transaction of the run change they report and
-- delivered in order by a dispatcher (src/core/lineage).
CREATE TABLE "LineageOutbox" (
    "id" BIGSERIAL NOT NULL,
    "runId" UUID NOT NULL,
    "eventType" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deliveredAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LineageOutbox_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "LineageOutbox_undelivered_idx" ON "LineageOutbox"("id") WHERE "deliveredAt" IS NULL;
CREATE INDEX "LineageOutbox_runId_idx" ON "LineageOutbox"("runId");
