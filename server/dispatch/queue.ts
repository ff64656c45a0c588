/**
 * The job queue on Postgres: the one place with raw SQL, because Prisma cannot express
 * `FOR UPDATE SKIP LOCKED` or an upsert that bumps a counter.
 *
 * - A job has a kind and a key, unique together: the "sync-account" job keyed by the account id
 *   is that account's dirty marker (PENDING = it may be behind); an "inbound-event" job per
 *   recorded network report.
 * - Per-account serial: a worker claims a job only by taking its account's lease (a token and an
 *   expiry on the account row, renewed while the job runs). The claim locks the account row with
 *   SKIP LOCKED and re-checks the lease on the row it locked, so two workers never run jobs of
 *   one account at once, on one machine or many.
 * - Within an account, the head job runs first: a sync job that left a write unconfirmed (so its
 *   retry settles it before any report is judged), then inbound events in the order received,
 *   then the sync job. Across accounts, the oldest due head goes first (fair across users).
 */
import { randomUUID } from "node:crypto";
import type { TDb } from "../db";

export const WORK_CHANNEL = "oneprofile_work";
export const SYNC_ACCOUNT = "sync-account";
export const INBOUND_EVENT = "inbound-event";

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

/** Marks an account as possibly behind: its sync job becomes (or stays) pending, due now. */
export async function markDirty(db: TExecutor, input: { userId: string; accountId: string }): Promise<void> {
  await db.$executeRaw`
    INSERT INTO jobs (id, kind, key, user_id, linked_account_id, state, run_at, dirty_seq, updated_at)
    VALUES (${randomUUID()}::uuid, ${SYNC_ACCOUNT}, ${input.accountId}, ${input.userId}::uuid,
            ${input.accountId}::uuid, 'PENDING', now(), 1, now())
    ON CONFLICT (kind, key) DO UPDATE SET
      dirty_seq = jobs.dirty_seq + 1,
      run_at = CASE WHEN jobs.state = 'PENDING' THEN LEAST(jobs.run_at, now()) ELSE now() END,
      attempts = CASE WHEN jobs.state = 'PENDING' THEN jobs.attempts ELSE 0 END,
      last_error = CASE WHEN jobs.state = 'PENDING' THEN jobs.last_error ELSE NULL END,
      state = 'PENDING', finished_at = NULL, updated_at = now()`;
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

/** Claims the next due job whose account nobody holds, taking the account's lease. */
export async function claimJob(db: TExecutor, leaseMs: number): Promise<TClaimedJob | null> {
  const leaseToken = randomUUID();
  const rows = await db.$queryRaw<Array<Omit<TClaimedJob, "leaseToken">>>`
    WITH heads AS (
      SELECT DISTINCT ON (j.linked_account_id) j.id, j.linked_account_id, j.run_at, j.seq
      FROM jobs j JOIN linked_accounts a ON a.id = j.linked_account_id
      WHERE j.state = 'PENDING'
      ORDER BY j.linked_account_id,
        CASE WHEN j.kind = ${SYNC_ACCOUNT} AND a.pending_write IS NOT NULL THEN 0
             WHEN j.kind = ${INBOUND_EVENT} THEN 1 ELSE 2 END,
        j.seq
    ), picked AS (
      SELECT h.id, a.id AS account_id
      FROM heads h JOIN linked_accounts a ON a.id = h.linked_account_id
      WHERE h.run_at <= now() AND (a.lease_until IS NULL OR a.lease_until < now())
      ORDER BY h.run_at, h.seq
      LIMIT 1
      FOR NO KEY UPDATE OF a SKIP LOCKED
    ), claimed AS (
      UPDATE jobs SET attempts = jobs.attempts + 1, lease_token = ${leaseToken}::uuid, updated_at = now()
      FROM picked WHERE jobs.id = picked.id AND jobs.state = 'PENDING'
      RETURNING jobs.id, jobs.kind, jobs.key, jobs.user_id, jobs.linked_account_id, jobs.attempts,
                jobs.dirty_seq, jobs.quarantines
    ), leased AS (
      UPDATE linked_accounts
      SET lease_token = ${leaseToken}::uuid, lease_until = now() + make_interval(secs => ${leaseMs / 1000})
      FROM claimed WHERE linked_accounts.id = claimed.linked_account_id
      RETURNING linked_accounts.id
    )
    SELECT c.id, c.kind, c.key, c.user_id AS "userId", c.linked_account_id AS "linkedAccountId",
           c.attempts, c.dirty_seq AS "dirtySeq", c.quarantines
    FROM claimed c JOIN leased l ON l.id = c.linked_account_id`;
  const row = rows[0];
  return row ? { ...row, leaseToken } : null;
}

/** Extends the account's lease while its job runs; false when it was lost (taken over). */
export async function renewLease(db: TExecutor, job: TClaimedJob, leaseMs: number): Promise<boolean> {
  const count = await db.$executeRaw`
    UPDATE linked_accounts SET lease_until = now() + make_interval(secs => ${leaseMs / 1000})
    WHERE id = ${job.linkedAccountId}::uuid AND lease_token = ${job.leaseToken}::uuid`;
  return count === 1;
}

/** Still ours? Locks the job row for the rest of the transaction (fencing every state write). */
export async function holdsLease(db: TExecutor, job: TClaimedJob): Promise<boolean> {
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    SELECT j.id FROM jobs j JOIN linked_accounts a ON a.id = j.linked_account_id
    WHERE j.id = ${job.id}::uuid AND j.lease_token = ${job.leaseToken}::uuid
      AND a.lease_token = ${job.leaseToken}::uuid AND j.state = 'PENDING'
    FOR UPDATE OF j`;
  return rows.length === 1;
}

export type TJobEnd =
  { state: "done" } | { state: "retry"; delayMs: number; error: string } | { state: "dead"; error: string };

/**
 * Records how a run ended and releases the account. Done: the job is finished unless the account
 * was marked dirty again while it ran (then it stays pending, due now).
 */
export async function endJob(db: TExecutor, job: TClaimedJob, end: TJobEnd): Promise<void> {
  if (end.state === "done") {
    await db.$executeRaw`
      UPDATE jobs SET
        state = CASE WHEN dirty_seq = ${job.dirtySeq} THEN 'DONE'::"JobState" ELSE 'PENDING'::"JobState" END,
        finished_at = CASE WHEN dirty_seq = ${job.dirtySeq} THEN now() END,
        attempts = 0, quarantines = 0, last_error = NULL, run_at = now(), lease_token = NULL, updated_at = now()
      WHERE id = ${job.id}::uuid`;
  } else if (end.state === "retry") {
    await db.$executeRaw`
      UPDATE jobs SET run_at = now() + make_interval(secs => ${end.delayMs / 1000}), last_error = ${end.error},
        lease_token = NULL, updated_at = now()
      WHERE id = ${job.id}::uuid`;
  } else {
    // Dead-lettered — unless the account was marked dirty while it ran: the next change tries again.
    await db.$executeRaw`
      UPDATE jobs SET
        state = CASE WHEN dirty_seq = ${job.dirtySeq} THEN 'DEAD'::"JobState" ELSE 'PENDING'::"JobState" END,
        finished_at = CASE WHEN dirty_seq = ${job.dirtySeq} THEN now() END,
        attempts = CASE WHEN dirty_seq = ${job.dirtySeq} THEN attempts ELSE 0 END,
        run_at = now(), last_error = ${end.error}, quarantines = quarantines + 1, lease_token = NULL,
        updated_at = now()
      WHERE id = ${job.id}::uuid`;
  }
  await db.$executeRaw`
    UPDATE linked_accounts SET lease_token = NULL, lease_until = NULL
    WHERE id = ${job.linkedAccountId}::uuid AND lease_token = ${job.leaseToken}::uuid`;
}

/**
 * The reconcile sweep: a dead-lettered sync job comes back after a quarantine that doubles with
 * each dead letter in a row (base, 2·base, … up to `maxMs`), so an account left behind converges
 * once its vendor is back, without being retried at full rate. Returns how many came back.
 */
export async function reviveQuarantined(db: TExecutor, options: { baseMs: number; maxMs: number }): Promise<number> {
  return db.$executeRaw`
    UPDATE jobs SET state = 'PENDING', run_at = now(), attempts = 0, finished_at = NULL, updated_at = now()
    WHERE kind = ${SYNC_ACCOUNT} AND state = 'DEAD'
      AND finished_at + make_interval(secs => LEAST(${options.maxMs / 1000},
            ${options.baseMs / 1000} * power(2, GREATEST(quarantines - 1, 0)))) <= now()`;
}

/** Wakes idle workers at once (they also poll, so a lost notification only costs a second). */
export async function wakeWorkers(db: Pick<TDb, "$executeRaw">): Promise<void> {
  await db.$executeRaw`SELECT pg_notify(${WORK_CHANNEL}, '')`;
}
