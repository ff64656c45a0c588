-- The admin dashboard's history (issue 17): a per-minute rollup the worker writes
-- (server/dispatch/jobs/metric-minutes.ts), read by the dashboard and /api/metrics through one set
-- of definitions (server/data/metrics.ts). Kept 30 days by the cleanup job.

-- Per minute and network: deliveries that became delivered, failed for good (FAILED) or were put
-- back for another try (RETRYING), and network reports received. Recomputed from the source tables
-- while the minute is recent, so a second worker or a restart never counts twice. No foreign key to
-- networks: history outlives any row, and the rollup's writes take no lock on them.
CREATE TABLE "metric_minutes" (
    "minute" TIMESTAMPTZ(3) NOT NULL,
    "network_id" TEXT NOT NULL,
    "delivered" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "retried" INTEGER NOT NULL DEFAULT 0,
    "inbound" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "metric_minutes_pkey" PRIMARY KEY ("minute", "network_id"),
    CONSTRAINT "metric_minutes_minute_check" CHECK ("minute" = date_bin('1 minute', "minute", TIMESTAMPTZ '2000-01-01 00:00:00+00'))
);

-- One row per minute the rollup covers (its counts above are written): the queue as sampled during
-- that minute (the deepest seen, the longest wait seen), or null when no worker sampled it (a
-- minute filled in after the workers were down).
CREATE TABLE "metric_samples" (
    "minute" TIMESTAMPTZ(3) NOT NULL,
    "queue_depth" INTEGER,
    "oldest_due_ms" BIGINT,

    CONSTRAINT "metric_samples_pkey" PRIMARY KEY ("minute"),
    CONSTRAINT "metric_samples_minute_check" CHECK ("minute" = date_bin('1 minute', "minute", TIMESTAMPTZ '2000-01-01 00:00:00+00'))
);

-- A delivery put back for another try, or failed for good, when it happened. The deliveries table
-- keeps only each delivery's latest state, and a retried one is tried again within seconds: this is
-- the one event the rollup could not recompute from it. Written by the database in the transaction
-- that changes the state, so it is exact whoever changes it; kept a day (the rollup reads the last
-- few minutes, at most a few hours after an outage).
CREATE TABLE "delivery_failures" (
    "id" BIGSERIAL NOT NULL,
    "network_id" TEXT NOT NULL,
    "is_final" BOOLEAN NOT NULL,
    "failed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),

    CONSTRAINT "delivery_failures_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "delivery_failures_failed_at_idx" ON "delivery_failures"("failed_at");

CREATE FUNCTION "deliveries_log_failure"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "delivery_failures" ("network_id", "is_final") VALUES (NEW."network_id", NEW."state" = 'FAILED');
  RETURN NULL;
END;
$$;
-- Fires only on a change into RETRYING or FAILED (the WHEN is checked before any call), so the
-- deliveries' hot path (sending, delivered, superseded) pays nothing.
CREATE TRIGGER "deliveries_log_failure" AFTER UPDATE OF "state" ON "deliveries"
  FOR EACH ROW WHEN (NEW."state" IN ('RETRYING', 'FAILED') AND OLD."state" IS DISTINCT FROM NEW."state")
  EXECUTE FUNCTION "deliveries_log_failure"();

