/**
 * A delivery log of realistic shape, written by Postgres itself (`INSERT ... SELECT ... FROM
 * generate_series`), so a million rows take seconds: for the delivery log's EXPLAIN test and its
 * bench (`npm run bench -- --only log`).
 *
 * People: `people` users, each with an account on every sandbox network and a few revisions.
 * Deliveries: a few people have many (the person is drawn as random()² over the people, so the
 * first ones are the busiest), networks from most to least used, states as a live system has
 * them (mostly delivered or superseded, a few failed, retrying, queued; failures clustered on one
 * flaky network), created over the last `days` days, in that order.
 */
import pg from "pg";

export interface TDeliveryLogSeed {
  deliveries: number;
  people: number;
  /** Revisions per person. */
  revisions?: number;
  days?: number;
  /** Told how long each step took (the bench prints it). */
  onStep?: (step: "people" | "deliveries" | "indexes" | "vacuum", ms: number) => void;
}

/** Share of each network's deliveries (sandbox networks; sums to 1). */
export const SEED_NETWORK_SHARES = { qq: 0.45, msn: 0.3, fetion: 0.17, facebook: 0.08 } as const;

/** Share of each delivery state (sums to 1) on a network that works. */
export const SEED_STATE_SHARES = {
  DELIVERED: 0.88,
  SUPERSEDED: 0.07,
  SKIPPED: 0.02,
  FAILED: 0.01,
  RETRYING: 0.005,
  QUEUED: 0.01,
  SENDING: 0.005,
} as const;

/** Failures cluster: one network is having a bad month. */
export const SEED_FLAKY_NETWORK = "facebook";
export const SEED_FLAKY_STATE_SHARES = {
  DELIVERED: 0.66,
  SUPERSEDED: 0.07,
  SKIPPED: 0.02,
  FAILED: 0.15,
  RETRYING: 0.08,
  QUEUED: 0.015,
  SENDING: 0.005,
} as const;

/** A CASE picking a key by its share, from a uniform random number `draw` in [0, 1). */
function pickByShare(draw: string, shares: Record<string, number>): string {
  let upTo = 0;
  const arms = Object.entries(shares).map(([key, share]) => {
    upTo += share;
    return `WHEN ${draw} < ${upTo.toFixed(6)} THEN '${key}'`;
  });
  return `CASE ${arms.join(" ")} ELSE '${Object.keys(shares).at(-1)}' END`;
}

/**
 * Seeds the log into an empty, migrated database (its `networks` rows already there) and
 * VACUUMs and ANALYZEs it. Returns the seeded people's ids and emails, busiest first.
 */
export async function seedDeliveryLog(
  databaseUrl: string,
  seed: TDeliveryLogSeed,
): Promise<Array<{ id: string; email: string }>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const revisions = seed.revisions ?? 5;
  const days = seed.days ?? 30;
  const networks = Object.keys(SEED_NETWORK_SHARES);
  let started = performance.now();
  const done = (step: Parameters<NonNullable<TDeliveryLogSeed["onStep"]>>[0]) => {
    seed.onStep?.(step, Math.round(performance.now() - started));
    started = performance.now();
  };
  try {
    await client.query("BEGIN");
    // The rows below are consistent by construction; checking four foreign keys per delivery
    // row would triple the time the seed takes (the test runs as the cluster's superuser).
    await client.query("SET LOCAL session_replication_role = replica");
    await client.query(
      `INSERT INTO users (id, email, password_hash, created_at, updated_at)
       SELECT gen_random_uuid(), 'person' || i || '@log.example', 'x', now() - interval '40 days', now()
       FROM generate_series(0, $1 - 1) AS i`,
      [seed.people],
    );
    await client.query(`CREATE TEMP TABLE seed_people ON COMMIT DROP AS
      SELECT (regexp_match(email, '^person(\\d+)@'))[1]::int AS n, id FROM users WHERE email LIKE '%@log.example'`);
    await client.query(
      `INSERT INTO linked_accounts (id, user_id, network_id, login, credentials, credentials_key_id, verified_at, updated_at)
       SELECT gen_random_uuid(), p.id, network, network || '-' || p.n, 'sealed', 'seed', now(), now()
       FROM seed_people p CROSS JOIN unnest($1::text[]) AS network`,
      [networks],
    );
    await client.query(
      `INSERT INTO profile_revisions (id, user_id, version, source, signature, changed_fields, created_at)
       SELECT gen_random_uuid(), p.id, v, CASE WHEN v % 3 = 0 THEN 'qq' ELSE 'portal' END, 'signature ' || v,
              ARRAY['signature'], now() - interval '31 days'
       FROM seed_people p CROSS JOIN generate_series(1, $1) AS v`,
      [revisions],
    );
    // Every (person, network, revision) a delivery can be for, numbered so a random number picks one.
    await client.query(`CREATE TEMP TABLE seed_targets ON COMMIT DROP AS
      SELECT p.n, a.network_id, r.version AS v, a.id AS account_id, p.id AS user_id, r.id AS revision_id
      FROM seed_people p
      JOIN linked_accounts a ON a.user_id = p.id
      JOIN profile_revisions r ON r.user_id = p.id`);
    await client.query("CREATE INDEX ON seed_targets (n, network_id, v)");
    await client.query("ANALYZE seed_targets");
    done("people");
    // Building the indexes once after the insert is several times faster than keeping them up to
    // date row by row (above all the primary key, random UUIDs); they are put back exactly as the
    // migrations made them. Nothing references a delivery's id, so its key can go for a moment.
    const indexes = await client.query<{ name: string; definition: string }>(
      `SELECT indexname AS name, indexdef AS definition FROM pg_indexes
       WHERE tablename = 'deliveries' AND indexname <> 'deliveries_pkey'`,
    );
    for (const index of indexes.rows) await client.query(`DROP INDEX "${index.name}"`);
    await client.query(`ALTER TABLE deliveries DROP CONSTRAINT deliveries_pkey`);
    await client.query(
      `INSERT INTO deliveries (id, revision_id, user_id, linked_account_id, network_id, version, state, fields, settings,
                               attempts, next_attempt_at, last_error, delivered_at, created_at, updated_at)
       SELECT gen_random_uuid(), t.revision_id, t.user_id, t.account_id, t.network_id, t.v, d.state::"DeliveryState",
              ARRAY['signature'], '{"signature":"seeded"}'::jsonb,
              CASE WHEN d.state IN ('FAILED', 'RETRYING') THEN 3 WHEN d.state = 'DELIVERED' THEN 1 ELSE 0 END,
              d.created_at,
              CASE WHEN d.state IN ('FAILED', 'RETRYING') THEN 'The vendor answered 503: try again later.' END,
              CASE WHEN d.state = 'DELIVERED' THEN d.created_at + interval '1 second' END,
              d.created_at, d.created_at
       FROM (
         SELECT g.*, CASE WHEN g.network_id = '${SEED_FLAKY_NETWORK}'
                          THEN ${pickByShare("g.s", SEED_FLAKY_STATE_SHARES)}
                          ELSE ${pickByShare("g.s", SEED_STATE_SHARES)} END AS state
         FROM (
           SELECT floor(power(random(), 2) * $2)::int AS n,
                  ${pickByShare("r.w", SEED_NETWORK_SHARES)} AS network_id,
                  1 + floor(random() * $3)::int AS v,
                  r.s,
                  -- Oldest first, as a live system writes them (so the table is laid out as in
                  -- production), ~2.6 s apart at a million over 30 days, give or take a second.
                  date_trunc('milliseconds', now() - ($1 - r.i)::float8 / $1 * $4::int * interval '1 day'
                                             - random() * interval '1 second') AS created_at
           FROM (SELECT i, random() AS s, random() AS w FROM generate_series(1, $1) AS i) AS r
         ) AS g
       ) AS d
       JOIN seed_targets t ON t.n = d.n AND t.network_id = d.network_id AND t.v = d.v`,
      [seed.deliveries, seed.people, revisions, days],
    );
    done("deliveries");
    await client.query("SET LOCAL maintenance_work_mem = '256MB'");
    await client.query(`ALTER TABLE deliveries ADD CONSTRAINT deliveries_pkey PRIMARY KEY (id)`);
    for (const index of indexes.rows) await client.query(index.definition);
    await client.query("COMMIT");
    done("indexes");
    // VACUUM too, as autovacuum would have by then: the visibility map set (so index-only scans
    // are costed as in production) and no vacuum of the fresh rows running under the measurements.
    await client.query("VACUUM (ANALYZE) users, linked_accounts, profile_revisions, deliveries");
    done("vacuum");
    const people = await client.query<{ id: string; email: string }>(
      `SELECT id, email FROM users WHERE email LIKE '%@log.example'
       ORDER BY (regexp_match(email, '^person(\\d+)@'))[1]::int`,
    );
    return people.rows;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}
