-- Hardening (issue 9).

-- Rate limits of every kind (failed sign-ins per account/device/IP, sign-ups per IP, avatar
-- uploads per user) share one table of hits. The old rows only held 15 minutes of failures.
DROP TABLE "sign_in_failures";
CREATE TABLE "rate_limit_hits" (
    "id" BIGSERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rate_limit_hits_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "rate_limit_hits_key_created_at_idx" ON "rate_limit_hits"("key", "created_at");
-- The cleanup job removes hits past every window, whatever their key.
CREATE INDEX "rate_limit_hits_created_at_idx" ON "rate_limit_hits"("created_at");

-- Check-and-count in one round trip (server/rate-limit.ts): locks every key (an advisory lock,
-- in one order, held to the end of the caller's statement), then either refuses — returning the
-- first full key and how long until its window frees a place — or records one hit per key and
-- returns their ids. Each statement inside sees what earlier lock holders committed (a function's
-- statements take fresh snapshots), so parallel callers on any instance cannot all pass one check.
CREATE FUNCTION "rate_limit_take"(keys TEXT[], maxes INTEGER[], windows_ms BIGINT[], taken_at TIMESTAMPTZ)
RETURNS TABLE (out_key TEXT, out_id BIGINT, retry_after_ms BIGINT)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  i INTEGER;
  recent INTEGER;
  oldest TIMESTAMPTZ;
BEGIN
  -- Under a stricter isolation the snapshot predates the lock: parallel callers would all pass.
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'rate_limit_take needs READ COMMITTED, not %', current_setting('transaction_isolation');
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('rate-limit:' || sorted.k, 0))
    FROM (SELECT DISTINCT unnest(keys) AS k ORDER BY 1) AS sorted;
  FOR i IN 1 .. coalesce(array_length(keys, 1), 0) LOOP
    SELECT count(*), min(last.created_at) INTO recent, oldest FROM (
      SELECT h.created_at FROM rate_limit_hits AS h
      WHERE h.key = keys[i] AND h.created_at > taken_at - windows_ms[i] * INTERVAL '1 millisecond'
      ORDER BY h.created_at DESC LIMIT maxes[i]
    ) AS last;
    IF recent >= maxes[i] THEN
      RETURN QUERY SELECT keys[i], NULL::BIGINT,
        greatest(0, round(extract(EPOCH FROM (oldest - taken_at)) * 1000)::BIGINT + windows_ms[i]);
      RETURN;
    END IF;
  END LOOP;
  RETURN QUERY INSERT INTO rate_limit_hits (key, created_at)
    SELECT k, taken_at FROM unnest(keys) AS k
    RETURNING rate_limit_hits.key, rate_limit_hits.id, NULL::BIGINT;
END
$$;

-- Bumped by "sign out everywhere", a password change and a change of role: a session issued
-- under an older version is refused.
ALTER TABLE "users" ADD COLUMN "session_version" INTEGER NOT NULL DEFAULT 0;

-- Indexes for the cleanup job's queries (server/dispatch/jobs/cleanup.ts).
CREATE INDEX "inbound_events_processed_at_idx" ON "inbound_events"("processed_at");
CREATE INDEX "inbound_events_received_at_idx" ON "inbound_events"("received_at");
CREATE INDEX "deliveries_state_updated_at_idx" ON "deliveries"("state", "updated_at");
CREATE INDEX "jobs_state_finished_at_idx" ON "jobs"("state", "finished_at");
CREATE INDEX "avatars_created_at_idx" ON "avatars"("created_at");
CREATE INDEX "profile_revisions_avatar_sha256_idx" ON "profile_revisions"("avatar_sha256");
CREATE INDEX "avatar_renditions_rendition_sha256_idx" ON "avatar_renditions"("rendition_sha256");
