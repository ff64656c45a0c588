/**
 * The job queue on Postgres, in raw SQL because Prisma cannot express `FOR UPDATE SKIP LOCKED`,
 * an upsert that bumps a counter, or one statement for a batch (README, "Architecture", lists the
 * other places with raw SQL).
 *
 * - A job has a kind and a key, unique together: the "sync-account" job keyed by the account id
 *   is that account's dirty marker (PENDING = it may be behind); an "inbound-event" job per
 *   recorded network report.
 * - Per-account serial: a worker claims a job only by taking its account's lease (a token and an
 *   expiry on the account row, renewed while the job runs). The claim locks the account row with
 *   SKIP LOCKED and re-checks the lease on the row it locked, so two workers never run jobs of
 *   one account at once, on one machine or many. One claim takes up to a batch of jobs, each of
 *   another account, under one token.
 * - Within an account, the head job runs first: a sync job that left a write unconfirmed (so its
 *   retry settles it before any report is judged), then inbound events in the order received, then
 *   a read-back, then the sync job. A report or read waiting out a backoff (a poison candidate)
 *   holds nothing back meanwhile. Across accounts, the oldest due head goes first (fair across users).
 * - Batches travel as one parameter — an id array (`= ANY($1::uuid[])`) or JSON rows unpacked
 *   with `jsonb_to_recordset` — so a batch of any size is one statement.
 */
import { randomUUID } from "node:crypto";
import type { TDb } from "../db";
import { Prisma } from "../generated/prisma/client";

export const WORK_CHANNEL = "oneprofile_work";
export const SYNC_ACCOUNT = "sync-account";
export const INBOUND_EVENT = "inbound-event";
export const READ_ACCOUNT = "read-account";

type TExecutor = Pick<TDb, "$executeRaw" | "$queryRaw">;

export interface TClaimedJob {
  id: string;
  kind: string;
  key: string;
  userId: string;
  linkedAccountId: string;
  /** This attempt's number (1 for the first). */
  attempts: number;
  dirtySeq: number;
  quarantines: number;
  leaseToken: string;
}

const json = (value: unknown) => JSON.stringify(value);

/**
 * Marks accounts as possibly behind: each one's sync job becomes (or stays) pending, due now.
 * Rows go in account order, so two markers of overlapping sets never wait for each other in a circle.
 */
export async function markDirty(
  db: TExecutor,
  accounts: ReadonlyArray<{ userId: string; accountId: string }>,
): Promise<void> {
  if (accounts.length === 0) return;
  // A dead-lettered account brought back is read back first: the person may have changed something
  // there while it was out (its report may be lost), and its old write was dropped when it died.
  const dead = await db.$queryRaw<Array<{ accountId: string }>>`
    SELECT linked_account_id AS "accountId" FROM jobs
    WHERE kind = ${SYNC_ACCOUNT} AND state = 'DEAD'
      AND key = ANY(${accounts.map((account) => account.accountId)}::text[])`;
  await markDue(db, SYNC_ACCOUNT, accounts);
  const revived = new Set(dead.map((row) => row.accountId));
  await requestReadBack(
    db,
    accounts.filter((account) => revived.has(account.accountId)),
  );
}

/**
 * Asks for a read-back of these accounts (after a link, a revival, a re-enable, a poison event):
 * each one's read job becomes (or stays) pending, due now. Same order rule as `markDirty`.
 * `isNoWait` (the sweep's): a read job busy elsewhere is skipped (it is being read or recorded right
 * now), so the sweep never waits for a recorder, as the lock order in define-job.ts requires.
 */
export async function requestReadBack(
  db: TExecutor,
  accounts: ReadonlyArray<{ userId: string; accountId: string }>,
  options: { isNoWait?: boolean } = {},
): Promise<void> {
  const keys = await markDue(db, READ_ACCOUNT, accounts, { isNoWait: options.isNoWait === true });
  if (!options.isNoWait || keys.length === 0) return;
  // The jobs that were there already, unless busy elsewhere: pending again, due now.
  await db.$executeRaw`
    UPDATE jobs SET state = 'PENDING', run_at = now(), attempts = 0, last_error = NULL, finished_at = NULL,
      dirty_seq = dirty_seq + 1, updated_at = now()
    WHERE id IN (
      SELECT id FROM jobs
      WHERE kind = ${READ_ACCOUNT} AND key = ANY(${keys}::text[]) AND state <> 'PENDING'
      ORDER BY linked_account_id
      FOR NO KEY UPDATE SKIP LOCKED)`;
}

/**
 * The per-account job of `kind` (keyed by the account id) becomes or stays pending, due now; with
 * `isNoWait` only missing jobs are made (an existing one is left to the caller). Returns the keys.
 */
async function markDue(
  db: TExecutor,
  kind: typeof SYNC_ACCOUNT | typeof READ_ACCOUNT,
  accounts: ReadonlyArray<{ userId: string; accountId: string }>,
  options: { isNoWait?: boolean } = {},
): Promise<string[]> {
  // One row per account; the statement takes them in account order (ORDER BY below).
  const unique = [...new Map(accounts.map((account) => [account.accountId, account])).values()];
  if (unique.length === 0) return [];
  const rows = unique.map((account) => ({ id: randomUUID(), user_id: account.userId, account_id: account.accountId }));
  const onConflict = options.isNoWait
    ? Prisma.sql`DO NOTHING`
    : Prisma.sql`DO UPDATE SET
      dirty_seq = jobs.dirty_seq + 1,
      run_at = CASE WHEN jobs.state = 'PENDING' THEN LEAST(jobs.run_at, now()) ELSE now() END,
      attempts = CASE WHEN jobs.state = 'PENDING' THEN jobs.attempts ELSE 0 END,
      last_error = CASE WHEN jobs.state = 'PENDING' THEN jobs.last_error ELSE NULL END,
      state = 'PENDING', finished_at = NULL, updated_at = now()`;
  await db.$executeRaw`
    INSERT INTO jobs (id, kind, key, user_id, linked_account_id, state, run_at, dirty_seq, updated_at)
    SELECT x.id, ${kind}, x.account_id::text, x.user_id, x.account_id, 'PENDING', now(), 1, now()
    FROM jsonb_to_recordset(${json(rows)}::jsonb) AS x(id uuid, user_id uuid, account_id uuid)
    ORDER BY x.account_id
    ON CONFLICT (kind, key) ${onConflict}`;
  return unique.map((account) => account.accountId);
}

/** Queues the processing of a recorded network report (one job per event). */
export async function enqueueInboundEvent(
  db: TExecutor,
  input: { userId: string; accountId: string; eventId: string },
): Promise<void> {
  await db.$executeRaw`
    INSERT INTO jobs (id, kind, key, user_id, linked_account_id, state, run_at, updated_at)
    VALUES (${randomUUID()}::uuid, ${INBOUND_EVENT}, ${input.eventId}, ${input.userId}::uuid,
            ${input.accountId}::uuid, 'PENDING', now(), now())
    ON CONFLICT (kind, key) DO NOTHING`;
}

/**
 * Claims up to `limit` due jobs, each the head of an account nobody holds, taking those
 * accounts' leases under one token. Walks due jobs oldest first (index on state, run_at, seq) and
 * stops at the limit, so a claim costs the same with a backlog of ten or of a million. A claimed
 * job is not due again until its lease would run out (renewals push it on), so later claims do
 * not walk past the jobs in flight (one marked dirty while held is, until the next renewal);
 * after a crash it is due exactly when its lease is over. Never waits: rows busy elsewhere are
 * skipped (SKIP LOCKED on the account and the job).
 */
export async function claimJobs(db: TExecutor, leaseMs: number, limit: number): Promise<TClaimedJob[]> {
  const leaseToken = randomUUID();
  const rows = await db.$queryRaw<Array<Omit<TClaimedJob, "leaseToken">>>`
    WITH picked AS (
      SELECT j.id, a.id AS account_id
      FROM jobs j JOIN linked_accounts a ON a.id = j.linked_account_id
      WHERE j.state = 'PENDING' AND j.run_at <= now()
        AND (a.lease_until IS NULL OR a.lease_until < now())
        AND NOT EXISTS (
          SELECT 1 FROM jobs o
          WHERE o.linked_account_id = j.linked_account_id AND o.state = 'PENDING' AND o.id <> j.id
            AND NOT (o.kind <> ${SYNC_ACCOUNT} AND o.attempts > 0 AND o.run_at > now())
            AND (CASE WHEN o.kind = ${SYNC_ACCOUNT} AND a.pending_write IS NOT NULL THEN 0
                      WHEN o.kind = ${INBOUND_EVENT} THEN 1 WHEN o.kind = ${READ_ACCOUNT} THEN 2 ELSE 3 END, o.seq)
              < (CASE WHEN j.kind = ${SYNC_ACCOUNT} AND a.pending_write IS NOT NULL THEN 0
                      WHEN j.kind = ${INBOUND_EVENT} THEN 1 WHEN j.kind = ${READ_ACCOUNT} THEN 2 ELSE 3 END, j.seq))
      ORDER BY j.run_at, j.seq
      LIMIT ${limit}
      FOR NO KEY UPDATE OF a, j SKIP LOCKED
    ), claimed AS (
      UPDATE jobs SET attempts = jobs.attempts + 1, lease_token = ${leaseToken}::uuid, updated_at = now(),
        run_at = now() + make_interval(secs => ${leaseMs / 1000})
      FROM picked WHERE jobs.id = picked.id AND jobs.state = 'PENDING'
      RETURNING jobs.id, jobs.kind, jobs.key, jobs.user_id, jobs.linked_account_id, jobs.attempts,
                jobs.dirty_seq, jobs.quarantines, jobs.seq
    ), leased AS (
      UPDATE linked_accounts
      SET lease_token = ${leaseToken}::uuid, lease_until = now() + make_interval(secs => ${leaseMs / 1000})
      FROM claimed WHERE linked_accounts.id = claimed.linked_account_id
      RETURNING linked_accounts.id
    )
    SELECT c.id, c.kind, c.key, c.user_id AS "userId", c.linked_account_id AS "linkedAccountId",
           c.attempts, c.dirty_seq AS "dirtySeq", c.quarantines
    FROM claimed c JOIN leased l ON l.id = c.linked_account_id
    ORDER BY c.seq`;
  return rows.map((row) => ({ ...row, leaseToken }));
}

/**
 * Extends the leases of the accounts these jobs hold (in account order), and keeps their
 * jobs from coming due meanwhile; returns the accounts still held, as `accountId:token` (one
 * busy elsewhere is renewed next time, and counts as held). An account missing from the answer
 * is no longer this run's: taken over, released, or unlinked.
 */
export async function renewLeases(
  db: TExecutor,
  held: ReadonlyArray<Pick<TClaimedJob, "id" | "linkedAccountId" | "leaseToken">>,
  leaseMs: number,
): Promise<Set<string>> {
  if (held.length === 0) return new Set();
  // By account and token, not by token alone: an account whose job this worker let go keeps no
  // lease because another job of the same claim is still running.
  const accounts = json(held.map((job) => ({ id: job.linkedAccountId, token: job.leaseToken })));
  // An account row busy elsewhere (a recorder, a re-link) is renewed next time (renewals come
  // every third of a lease): renewing never waits. Whether it is still ours is read without a lock.
  await db.$executeRaw`
    UPDATE linked_accounts SET lease_until = now() + make_interval(secs => ${leaseMs / 1000})
    WHERE id IN (
      SELECT a.id FROM linked_accounts a
      JOIN jsonb_to_recordset(${accounts}::jsonb) AS x(id uuid, token uuid) ON x.id = a.id AND x.token = a.lease_token
      ORDER BY a.id FOR NO KEY UPDATE OF a SKIP LOCKED)`;
  const rows = await db.$queryRaw<Array<{ held: string }>>`
    SELECT a.id::text || ':' || a.lease_token::text AS held FROM linked_accounts a
    JOIN jsonb_to_recordset(${accounts}::jsonb) AS x(id uuid, token uuid) ON x.id = a.id AND x.token = a.lease_token`;
  // Only a shortcut for later claims: a job row busy elsewhere (a save marking it dirty) is left.
  await db.$executeRaw`
    UPDATE jobs SET run_at = now() + make_interval(secs => ${leaseMs / 1000})
    WHERE id IN (
      SELECT j.id FROM jobs j
      JOIN jsonb_to_recordset(${json(held.map((job) => ({ id: job.id, token: job.leaseToken })))}::jsonb)
        AS x(id uuid, token uuid) ON x.id = j.id
      WHERE j.lease_token = x.token AND j.state = 'PENDING'
      FOR NO KEY UPDATE OF j SKIP LOCKED)`;
  return new Set(rows.map((row) => row.held));
}

/**
 * Takes the rows of these users (in id order): the first lock of every sync-state transaction.
 * NO KEY UPDATE, not UPDATE: the foreign-key checks other transactions make against these rows
 * (KEY SHARE, e.g. when they update an account row a second time) must not wait for a save, or a
 * save waiting for their job rows closes a circle.
 */
export async function lockUsers(db: TExecutor, userIds: readonly string[]): Promise<void> {
  const unique = [...new Set(userIds)];
  if (unique.length === 0) return;
  await db.$queryRaw`
    SELECT id FROM users
    WHERE id = ANY(${unique}::uuid[])
    ORDER BY id FOR NO KEY UPDATE`;
}

/** Takes one user's row lock: one writer of a user's desired state at a time (see `lockUsers`). */
export async function lockUser(db: TExecutor, userId: string): Promise<void> {
  await lockUsers(db, [userId]);
}

/**
 * Which of these runs are still ours (their lease held, not ended), as `jobId:token` (a job
 * claimed twice has one current run)? Locks their rows for the rest
 * of the transaction, fencing every state write that follows — in account order, as `markDirty`
 * takes them, so a recorder and a save never wait for each other in a circle.
 */
export async function holdsLeases(db: TExecutor, jobs: readonly TClaimedJob[]): Promise<Set<string>> {
  if (jobs.length === 0) return new Set();
  const rows = await db.$queryRaw<Array<{ held: string }>>`
    SELECT j.id::text || ':' || j.lease_token::text AS held FROM jobs j
    JOIN jsonb_to_recordset(${json(jobs.map((job) => ({ id: job.id, token: job.leaseToken })))}::jsonb)
      AS x(id uuid, token uuid) ON x.id = j.id
    JOIN linked_accounts a ON a.id = j.linked_account_id
    WHERE j.lease_token = x.token AND a.lease_token = x.token AND j.state = 'PENDING'
    ORDER BY j.linked_account_id, j.id
    FOR NO KEY UPDATE OF j`;
  return new Set(rows.map((row) => row.held));
}

export type TJobEnd =
  { state: "done" } | { state: "retry"; delayMs: number; error: string } | { state: "dead"; error: string };

/**
 * Records how runs ended, in one statement, and releases their accounts in another.
 * - done: finished, unless the account was marked dirty again while it ran (then pending, due now);
 * - retry: due again after the delay;
 * - dead: dead-lettered with its reason, unless marked dirty meanwhile (the next change tries again).
 */
export async function endJobs(db: TExecutor, ends: ReadonlyArray<{ job: TClaimedJob; end: TJobEnd }>): Promise<void> {
  if (ends.length === 0) return;
  const rows = ends.map(({ job, end }) => ({
    id: job.id,
    dirty_seq: job.dirtySeq,
    end_state: end.state,
    delay_secs: end.state === "retry" ? end.delayMs / 1000 : 0,
    error: end.state === "done" ? null : end.error,
  }));
  await db.$executeRaw`
    UPDATE jobs j SET
      state = CASE
        WHEN x.end_state = 'retry' OR j.dirty_seq <> x.dirty_seq THEN 'PENDING'::"JobState"
        WHEN x.end_state = 'done' THEN 'DONE'::"JobState" ELSE 'DEAD'::"JobState" END,
      finished_at = CASE WHEN x.end_state <> 'retry' AND j.dirty_seq = x.dirty_seq THEN now() END,
      attempts = CASE
        WHEN x.end_state = 'retry' OR (x.end_state = 'dead' AND j.dirty_seq = x.dirty_seq) THEN j.attempts
        ELSE 0 END,
      quarantines = CASE x.end_state WHEN 'done' THEN 0 WHEN 'dead' THEN j.quarantines + 1 ELSE j.quarantines END,
      last_error = x.error,
      run_at = CASE WHEN x.end_state = 'retry' THEN now() + make_interval(secs => x.delay_secs) ELSE now() END,
      lease_token = NULL, updated_at = now()
    FROM jsonb_to_recordset(${json(rows)}::jsonb)
      AS x(id uuid, dirty_seq int, end_state text, delay_secs float8, error text)
    WHERE j.id = x.id`;
  const leases = ends.map(({ job }) => ({ id: job.linkedAccountId, token: job.leaseToken }));
  await db.$executeRaw`
    UPDATE linked_accounts a SET lease_token = NULL, lease_until = NULL
    FROM jsonb_to_recordset(${json(leases)}::jsonb) AS x(id uuid, token uuid)
    WHERE a.id = x.id AND a.lease_token = x.token`;
}

/**
 * The reconcile sweep: a dead-lettered sync job comes back after a quarantine that doubles with
 * each dead letter in a row (base, 2·base, … up to `maxMs`), so an account left behind converges
 * once its vendor is back, without being retried at full rate. Returns how many came back.
 */
export async function reviveQuarantined(db: TExecutor, options: { baseMs: number; maxMs: number }): Promise<number> {
  // Rows busy elsewhere (a save marking them dirty revives them anyway) are left for next time.
  const revived = await db.$queryRaw<Array<{ userId: string; accountId: string }>>`
    UPDATE jobs SET state = 'PENDING', run_at = now(), attempts = 0, finished_at = NULL, updated_at = now()
    WHERE id IN (
      SELECT id FROM jobs
      WHERE kind = ${SYNC_ACCOUNT} AND state = 'DEAD'
        AND finished_at + make_interval(secs => LEAST(${options.maxMs / 1000},
              ${options.baseMs / 1000} * power(2, GREATEST(quarantines - 1, 0)))) <= now()
      ORDER BY linked_account_id
      FOR NO KEY UPDATE SKIP LOCKED)
    RETURNING user_id AS "userId", linked_account_id AS "accountId"`;
  // What the account shows after the outage is read back: the dead write may or may not have landed,
  // and the person may have changed something there meanwhile.
  await requestReadBack(db, revived, { isNoWait: true });
  return revived.length;
}

/**
 * The periodic read-back: accounts of active networks whose last read-back is older than their
 * network's interval (`everyMsOf`, capped by `maxEveryMs`) get a read job, oldest first, at most
 * `limit` per call; each is stamped as read now, so a read that fails waits for the next interval.
 */
export async function scheduleReadBacks(
  db: TExecutor,
  options: { everyMsOf: ReadonlyMap<string, number>; maxEveryMs?: number; limit: number },
): Promise<number> {
  const intervals = [...options.everyMsOf].map(([network_id, ms]) => ({
    network_id,
    secs: Math.min(ms, options.maxEveryMs ?? ms) / 1000,
  }));
  if (intervals.length === 0 || options.limit <= 0) return 0;
  const due = await db.$queryRaw<Array<{ userId: string; accountId: string }>>`
    UPDATE linked_accounts SET read_at = now()
    WHERE id IN (
      SELECT a.id FROM linked_accounts a
      JOIN networks n ON n.id = a.network_id AND n.is_enabled
      JOIN jsonb_to_recordset(${json(intervals)}::jsonb) AS x(network_id text, secs float8) ON x.network_id = a.network_id
      WHERE a.status = 'ACTIVE' AND a.paused_at IS NULL
        AND (a.read_at IS NULL OR a.read_at + make_interval(secs => x.secs) <= now())
      ORDER BY a.read_at NULLS FIRST, a.id
      LIMIT ${options.limit}
      FOR NO KEY UPDATE OF a SKIP LOCKED)
    RETURNING user_id AS "userId", id AS "accountId"`;
  await requestReadBack(db, due, { isNoWait: true });
  return due.length;
}

/** Wakes idle workers at once (they also poll, so a lost notification only costs a second). */
export async function wakeWorkers(db: Pick<TDb, "$executeRaw">): Promise<void> {
  await db.$executeRaw`SELECT pg_notify(${WORK_CHANNEL}, '')`;
}
