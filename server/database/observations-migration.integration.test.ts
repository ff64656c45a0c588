/**
 * Migration 20261202000000_observations on data of the engine before it (issue 14): the sync epoch
 * goes; unknown versions (-1) become unknown values; old mood hashes (word and text hashed as one)
 * become unknown; a field the person never set keeps what the account showed (t), so nothing the
 * person never set is cleared or taken after the deploy.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createEmptyDatabase } from "../../test/database";
import { desiredFieldsOf, hashValue, owedFields, ZObserved } from "../sync/state";
import { migrate, readMigrations } from "./migrate";

const NAME = "20261202000000_observations";

describe(`migration ${NAME}`, () => {
  it("rewrites observed state of the engine before it, so that nothing the person never set is owed", async () => {
    const url = await createEmptyDatabase();
    const all = readMigrations();
    const index = all.findIndex((migration) => migration.name === NAME);
    expect(index).toBeGreaterThan(0);
    await migrate(url, all.slice(0, index));

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const [userId, accountId, revisionId] = [randomUUID(), randomUUID(), randomUUID()];
      await client.query(`INSERT INTO users (id, email, password_hash, updated_at) VALUES ($1, $2, 'x', now())`, [
        userId,
        `m-${userId}@example.com`,
      ]);
      await client.query(
        `INSERT INTO networks (id, display_name, connector_kind, capabilities, sort_order, updated_at)
         VALUES ('qq', 'QQ', 'sandbox', '{}', 1, now()) ON CONFLICT DO NOTHING`,
      );
      await client.query(
        `INSERT INTO profile_revisions (id, user_id, version, source, display_name, changed_fields, field_versions)
         VALUES ($1, $2, 1, 'portal', 'Ada', '{displayName}', '{"displayName": 1, "mood": 1}')`,
        [revisionId, userId],
      );
      const before = {
        displayName: { v: 1, h: hashValue("Ada"), m: 7 },
        signature: { v: 0, h: hashValue("own signature"), m: 3 },
        avatar: { v: 0, h: null, m: 3 },
        mood: { v: 1, h: "0123abcd", m: 7 },
      };
      await client.query(
        `INSERT INTO linked_accounts (id, user_id, network_id, login, credentials, credentials_key_id, verified_at,
           observed, sync_epoch, updated_at)
         VALUES ($1, $2, 'qq', '10001', 'x', 'k1', now(), $3, 4, now())`,
        [accountId, userId, JSON.stringify(before)],
      );
      await client.query(`UPDATE linked_accounts SET observed = jsonb_set(observed, '{displayName,v}', '-1')`);

      expect(await migrate(url, all.slice(0, index + 1))).toEqual([NAME]);

      const { rows } = await client.query<{ observed: unknown; read_at: Date | null }>(
        `SELECT observed, read_at FROM linked_accounts WHERE id = $1`,
        [accountId],
      );
      const observed = ZObserved.parse(rows[0]!.observed);
      expect(observed).toEqual({
        displayName: { v: 0, h: null, m: 7 },
        signature: { v: 0, h: hashValue("own signature"), m: 3, t: hashValue("own signature") },
        avatar: { v: 0, h: null, m: 3 },
        mood: { v: 0, h: null, m: 7 },
      });
      expect(rows[0]!.read_at).toBeNull();
      const columns = await client.query(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'linked_accounts' AND column_name = 'sync_epoch'`,
      );
      expect(columns.rowCount).toBe(0);

      // The person set only the display name (and a mood, unknown now): the signature they never set,
      // which the account shows of its own, is not owed; neither is the avatar, unknown until observed.
      const desired = desiredFieldsOf(
        { displayName: "Ada", signature: "", mood: null, moodText: "", avatarSha256: null },
        { displayName: 1, mood: 1 },
      );
      const all4 = { avatar: true, displayName: true, signature: true, mood: true };
      expect(owedFields({ desired, observed, sync: all4, supported: all4 })).toEqual(["displayName", "mood"]);
    } finally {
      await client.end();
    }
  });
});
