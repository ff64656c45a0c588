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
