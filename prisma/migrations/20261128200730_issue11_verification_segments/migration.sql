-- Trajectory segments a verification re-runs per run (issue 11).
ALTER TABLE "Verification" ADD COLUMN "segments" INTEGER NOT NULL DEFAULT 0;
