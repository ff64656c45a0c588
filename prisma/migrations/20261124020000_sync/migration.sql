-- CreateEnum
CREATE TYPE "DeliveryState" AS ENUM ('QUEUED', 'SENDING', 'DELIVERED', 'RETRYING', 'FAILED', 'SKIPPED', 'SUPERSEDED');

-- AlterTable
ALTER TABLE "linked_accounts" ADD COLUMN "last_applied" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN "last_applied_version" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "inbound_events" ADD COLUMN "outcome" TEXT,
ADD COLUMN "lease_until" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "avatars" (
    "sha256" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "bytes" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "avatars_pkey" PRIMARY KEY ("sha256")
);

-- CreateTable
CREATE TABLE "avatar_renditions" (
    "source_sha256" TEXT NOT NULL,
    "network_id" TEXT NOT NULL,
    "rendition_sha256" TEXT NOT NULL,

    CONSTRAINT "avatar_renditions_pkey" PRIMARY KEY ("source_sha256","network_id")
);

-- CreateTable
CREATE TABLE "profile_revisions" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "source_account_id" UUID,
    "display_name" TEXT,
    "signature" TEXT,
    "mood" TEXT,
    "mood_text" TEXT,
    "avatar_sha256" TEXT,
    "changed_fields" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "profile_revisions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deliveries" (
    "id" UUID NOT NULL,
    "revision_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "linked_account_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "state" "DeliveryState" NOT NULL DEFAULT 'QUEUED',
    "fields" TEXT[],
    "settings" JSONB NOT NULL,
    "skipped" JSONB NOT NULL DEFAULT '[]',
    "warnings" JSONB NOT NULL DEFAULT '[]',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lease_token" UUID,
    "lease_until" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "delivered_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "profile_revisions_user_id_version_key" ON "profile_revisions"("user_id", "version");

-- CreateIndex
CREATE INDEX "deliveries_state_next_attempt_at_idx" ON "deliveries"("state", "next_attempt_at");

-- CreateIndex
CREATE INDEX "deliveries_linked_account_id_state_idx" ON "deliveries"("linked_account_id", "state");

-- CreateIndex
CREATE INDEX "deliveries_user_id_created_at_idx" ON "deliveries"("user_id", "created_at");

-- CreateIndex
CREATE INDEX "deliveries_revision_id_idx" ON "deliveries"("revision_id");

-- AddForeignKey
ALTER TABLE "profile_revisions" ADD CONSTRAINT "profile_revisions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "profile_revisions" ADD CONSTRAINT "profile_revisions_source_account_id_fkey" FOREIGN KEY ("source_account_id") REFERENCES "linked_accounts"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_revision_id_fkey" FOREIGN KEY ("revision_id") REFERENCES "profile_revisions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_linked_account_id_fkey" FOREIGN KEY ("linked_account_id") REFERENCES "linked_accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
