/**
 * A delivery backlog written straight into Postgres (what many people saving once would leave
 * behind, without timing their saves): per person one revision changing the signature, and per
 * linked account one open Delivery and its pending sync job. Rows go in chunks of one statement.
 */
import { randomUUID } from "node:crypto";
import { encryptSecret, keyIdOf, type TKeyring } from "../../server/crypto/secrets";
import type { TDb } from "../../server/db";

export const BENCH_NETWORKS = ["qq", "msn", "fetion"] as const;
export type TBenchNetwork = (typeof BENCH_NETWORKS)[number];
export const BENCH_PASSWORD = "bench-password";

/** Logins each network's sandbox accepts, distinct per person. */
export function benchLogin(network: TBenchNetwork, person: number): string {
  if (network === "qq") return String(10_000_000 + person);
  if (network === "msn") return `bench${person}@msn.example`;
  return `139${String(person).padStart(8, "0")}`;
}

const CHUNK = 2000;

async function insertChunks<T>(rows: readonly T[], insert: (chunk: string) => Promise<unknown>) {
  for (let start = 0; start < rows.length; start += CHUNK)
    await insert(JSON.stringify(rows.slice(start, start + CHUNK)));
}

/**
 * Makes `people` people with `networks` accounts each and one open delivery per account (none
 * with `isEmpty`).
 * `offset` keeps people of several calls distinct. Returns the number of deliveries.
 */
export async function seedBacklog(
  db: TDb,
  keyring: TKeyring,
  options: {
    people: number;
    offset?: number;
    networks?: readonly TBenchNetwork[];
    tag?: string;
    /** Jobs not due until `releaseBacklog` (so workers can start first). */
    isHeld?: boolean;
    /** People and linked accounts only, in step, with nothing to deliver (steady-load runs). */
    isEmpty?: boolean;
  },
): Promise<number> {
  const offset = options.offset ?? 0;
  const networks = options.networks ?? BENCH_NETWORKS;
  const tag = options.tag ?? "bench";
  const users: object[] = [];
  const accounts: object[] = [];
  const revisions: object[] = [];
  const deliveries: object[] = [];
  for (let index = 0; index < options.people; index++) {
    const person = offset + index;
    const userId = randomUUID();
    const revisionId = randomUUID();
    users.push({ id: userId, email: `${tag}${person}@bench.example` });
    revisions.push({ id: revisionId, user_id: userId, signature: `${tag} signature ${person}` });
    for (const network of networks) {
      const login = benchLogin(network, person);
      const credentials = encryptSecret(
        keyring,
        JSON.stringify({ secret: BENCH_PASSWORD }),
        `linked-account:${network}:${login}`,
      );
      const accountId = randomUUID();
      accounts.push({
        id: accountId,
        user_id: userId,
        network_id: network,
        login,
        credentials,
        key_id: keyIdOf(credentials),
      });
      deliveries.push({ id: randomUUID(), revision_id: revisionId, user_id: userId, account_id: accountId });
    }
  }
  await insertChunks(
    users,
    (chunk) =>
      db.$executeRaw`
      INSERT INTO users (id, email, password_hash, updated_at)
      SELECT x.id, x.email, 'not-a-hash', now() FROM jsonb_to_recordset(${chunk}::jsonb) AS x(id uuid, email text)`,
  );
  await insertChunks(
    accounts,
    (chunk) =>
      db.$executeRaw`
      INSERT INTO linked_accounts (id, user_id, network_id, login, credentials, credentials_key_id, verified_at, updated_at)
      SELECT x.id, x.user_id, x.network_id, x.login, x.credentials, x.key_id, now(), now()
      FROM jsonb_to_recordset(${chunk}::jsonb)
        AS x(id uuid, user_id uuid, network_id text, login text, credentials text, key_id text)`,
  );
  if (options.isEmpty) {
    await db.$executeRaw`ANALYZE`;
    return 0;
  }
  await insertChunks(
    revisions,
    (chunk) =>
      db.$executeRaw`
      INSERT INTO profile_revisions (id, user_id, version, source, signature, changed_fields, field_versions)
      SELECT x.id, x.user_id, 1, 'portal', x.signature, '{signature}', '{"signature": 1}'
      FROM jsonb_to_recordset(${chunk}::jsonb) AS x(id uuid, user_id uuid, signature text)`,
  );
  await insertChunks(
    deliveries,
    (chunk) =>
      db.$executeRaw`
      INSERT INTO deliveries (id, revision_id, user_id, linked_account_id, version, fields, settings, updated_at)
      SELECT x.id, x.revision_id, x.user_id, x.account_id, 1, '{signature}', '{}', now()
      FROM jsonb_to_recordset(${chunk}::jsonb) AS x(id uuid, revision_id uuid, user_id uuid, account_id uuid)`,
  );
  const runAt = options.isHeld ? "infinity" : "now";
  await insertChunks(
    deliveries,
    (chunk) =>
      db.$executeRaw`
      INSERT INTO jobs (id, kind, key, user_id, linked_account_id, state, run_at, dirty_seq, updated_at)
      SELECT gen_random_uuid(), 'sync-account', x.account_id::text, x.user_id, x.account_id, 'PENDING',
             ${runAt}::timestamptz, 1, now()
      FROM jsonb_to_recordset(${chunk}::jsonb) AS x(user_id uuid, account_id uuid)`,
  );
  await db.$executeRaw`ANALYZE`;
  return deliveries.length;
}

/** Makes a held backlog due now and wakes the workers. */
export async function releaseBacklog(db: TDb): Promise<void> {
  await db.$executeRaw`UPDATE jobs SET run_at = now() WHERE state = 'PENDING' AND run_at = 'infinity'`;
  await db.$executeRaw`SELECT pg_notify('oneprofile_work', '')`;
}

/** Whether any delivery is still open: one index probe, cheap enough to ask often while timing. */
export async function isAnyOpen(db: TDb): Promise<boolean> {
  const rows = await db.$queryRaw<unknown[]>`
    SELECT 1 FROM deliveries WHERE state IN ('QUEUED', 'SENDING', 'RETRYING') LIMIT 1`;
  return rows.length > 0;
}

/** Deliveries not yet delivered (the backlog left). */
export async function openDeliveries(db: TDb): Promise<number> {
  const [row] = await db.$queryRaw<Array<{ count: bigint }>>`
    SELECT count(*) AS count FROM deliveries WHERE state IN ('QUEUED', 'SENDING', 'RETRYING')`;
  return Number(row?.count ?? 0);
}

/** Empties every table the backlog fills (between scenarios). */
export async function clearBacklog(db: TDb): Promise<void> {
  await db.$executeRaw`TRUNCATE users, linked_accounts, profile_revisions, deliveries, jobs, inbound_events CASCADE`;
}
