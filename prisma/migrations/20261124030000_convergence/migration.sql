-- Convergence: desired state per field on revisions, observed state per account, and one job
-- queue (dirty markers and inbound events) replacing per-delivery work.

-- AlterTable
ALTER TABLE "profile_revisions" ADD COLUMN "field_versions" JSONB NOT NULL DEFAULT '{}';

-- Backfill: per revision, each field's latest changing version up to it.
UPDATE "profile_revisions" r SET "field_versions" = COALESCE((
  SELECT jsonb_object_agg(x.field, x.version) FROM (
    SELECT f.field, max(p."version") AS version
    FROM "profile_revisions" p, unnest(p."changed_fields") AS f(field)
    WHERE p."user_id" = r."user_id" AND p."version" <= r."version"
    GROUP BY f.field) x), '{}');

-- AlterTable
ALTER TABLE "linked_accounts" DROP COLUMN "last_applied",
DROP COLUMN "last_applied_version",
ADD COLUMN "observed" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN "pending_write" JSONB,
ADD COLUMN "sync_epoch" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "lease_token" UUID,
ADD COLUMN "lease_until" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "inbound_events" DROP COLUMN "lease_until",
ADD COLUMN "note" TEXT;

-- CreateEnum
CREATE TYPE "JobState" AS ENUM ('PENDING', 'DONE', 'DEAD');

-- CreateTable
CREATE TABLE "jobs" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "user_id" UUID NOT NULL,
    "linked_account_id" UUID NOT NULL,
    "state" "JobState" NOT NULL DEFAULT 'PENDING',
    "run_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "dirty_seq" INTEGER NOT NULL DEFAULT 0,
    "quarantines" INTEGER NOT NULL DEFAULT 0,
    "lease_token" UUID,
    "last_error" TEXT,
    "finished_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "jobs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "jobs_kind_key_key" ON "jobs"("kind", "key");

-- CreateIndex
CREATE INDEX "jobs_state_linked_account_id_idx" ON "jobs"("state", "linked_account_id");

-- CreateIndex
CREATE INDEX "jobs_state_run_at_idx" ON "jobs"("state", "run_at");

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_linked_account_id_fkey" FOREIGN KEY ("linked_account_id") REFERENCES "linked_accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
