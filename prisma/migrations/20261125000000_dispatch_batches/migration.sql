-- Batched dispatch (issue 8).
-- Due jobs are claimed oldest first by (run_at, seq): an index in that order lets a claim stop
-- after the batch it takes instead of sorting every due job.
DROP INDEX "jobs_state_run_at_idx";
CREATE INDEX "jobs_state_run_at_seq_idx" ON "jobs"("state", "run_at", "seq");

-- Deliveries are no longer leased (jobs are); the columns were left unused.
ALTER TABLE "deliveries" DROP COLUMN "lease_token",
DROP COLUMN "lease_until";
