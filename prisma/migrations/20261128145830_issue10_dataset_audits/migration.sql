-- Issue 10: an audit may cover a dataset (its members) instead of listed runs.
ALTER TABLE "LeakageAudit" ADD COLUMN "datasetId" UUID;
CREATE INDEX "LeakageAudit_datasetId_idx" ON "LeakageAudit"("datasetId");
ALTER TABLE "LeakageAudit" ADD CONSTRAINT "LeakageAudit_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE SET NULL ON UPDATE CASCADE;
