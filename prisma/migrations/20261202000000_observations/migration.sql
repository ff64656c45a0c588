-- Observed state is the latest observation by the vendor's mark (server/sync/state.ts): what an
-- account owes follows from values, so the sync epoch goes, and unknown versions (-1) become
-- unknown values. A mood now hashes its word and its text apart: the old hashes cannot be compared,
-- so they become unknown (the next observation, a read-back, fills them in). A field the person
-- never set keeps what the account shows (t), as at link.
-- Read-backs are scheduled by when each account was last read (read_at).
ALTER TABLE "linked_accounts" DROP COLUMN "sync_epoch",
ADD COLUMN "read_at" TIMESTAMPTZ(3);

CREATE INDEX "linked_accounts_read_at_idx" ON "linked_accounts"("read_at");

UPDATE "linked_accounts" a SET "observed" = COALESCE((
  SELECT jsonb_object_agg(f.key,
    (CASE WHEN (f.value->>'v')::int < 0 OR f.key = 'mood' THEN f.value || '{"v": 0, "h": null}'::jsonb
          ELSE f.value END)
    || (CASE WHEN NOT COALESCE(r.field_versions ? f.key, false) AND f.value->>'h' IS NOT NULL
               AND (f.value->>'v')::int >= 0 AND f.key <> 'mood'
             THEN jsonb_build_object('t', f.value->>'h') ELSE '{}'::jsonb END))
  FROM jsonb_each(a."observed") f
  LEFT JOIN LATERAL (
    SELECT p.field_versions FROM "profile_revisions" p WHERE p.user_id = a.user_id ORDER BY p.version DESC LIMIT 1
  ) r ON true
), '{}'::jsonb);
