-- Admin support view (issue 17).

-- The audit log is history: the actor is kept as an id with no foreign key (deleting a user
-- never rewrites it; the page shows "deleted user"), and the database refuses every update,
-- delete and truncate of it, whoever asks.
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_actor_id_fkey";
-- The person whose data the action touched (a user, or a linked account's owner), so support can
-- list everything about one person; also an id with no foreign key.
ALTER TABLE "audit_events" ADD COLUMN "subject_id" UUID;
UPDATE "audit_events" e SET "subject_id" = CASE
  -- Until now every account.* entry was written by the account's owner: an unlinked account's
  -- entries keep their person that way.
  WHEN e."target_type" = 'linked_account' THEN COALESCE(
    (SELECT a."user_id" FROM "linked_accounts" a WHERE a."id" = e."target_id"::uuid), e."actor_id")
  WHEN e."target_type" = 'user' THEN e."target_id"::uuid
  ELSE NULL END;
CREATE INDEX "audit_events_subject_id_created_at_idx" ON "audit_events"("subject_id", "created_at");
CREATE INDEX "audit_events_actor_id_created_at_idx" ON "audit_events"("actor_id", "created_at");
CREATE INDEX "audit_events_action_created_at_idx" ON "audit_events"("action", "created_at");
DROP INDEX "audit_events_target_type_target_id_idx";
CREATE INDEX "audit_events_target_id_created_at_idx" ON "audit_events"("target_id", "created_at");

CREATE FUNCTION "audit_events_append_only"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "audit_events_no_update_or_delete" BEFORE UPDATE OR DELETE ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION "audit_events_append_only"();
CREATE TRIGGER "audit_events_no_truncate" BEFORE TRUNCATE ON "audit_events"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_events_append_only"();

-- Paused by support: no deliveries to the account, reports from it only record the vendor's
-- mark; the person sees it and cannot resume it. The pause is held per network login, so
-- unlinking and linking the account again does not lift it: a new link takes it over.
ALTER TABLE "linked_accounts" ADD COLUMN "paused_at" TIMESTAMPTZ(3);
CREATE TABLE "support_pauses" (
    "network_id" TEXT NOT NULL,
    "login" TEXT NOT NULL,
    "paused_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "support_pauses_pkey" PRIMARY KEY ("network_id", "login")
);

-- The delivery log filters by network without a join: each delivery names its account's network.
ALTER TABLE "deliveries" ADD COLUMN "network_id" TEXT;
UPDATE "deliveries" d SET "network_id" = a."network_id" FROM "linked_accounts" a WHERE a."id" = d."linked_account_id";
ALTER TABLE "deliveries" ALTER COLUMN "network_id" SET NOT NULL;

-- The delivery log pages newest first by (created_at, id), under any mix of filters.
DROP INDEX "deliveries_user_id_created_at_idx";
CREATE INDEX "deliveries_created_at_id_idx" ON "deliveries"("created_at", "id");
CREATE INDEX "deliveries_user_id_created_at_id_idx" ON "deliveries"("user_id", "created_at", "id");
CREATE INDEX "deliveries_network_id_created_at_id_idx" ON "deliveries"("network_id", "created_at", "id");
CREATE INDEX "deliveries_state_created_at_id_idx" ON "deliveries"("state", "created_at", "id");
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_network_id_fkey" FOREIGN KEY ("network_id") REFERENCES "networks"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
