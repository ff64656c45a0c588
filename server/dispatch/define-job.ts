/**
 * Jobs as a definition plus a handler (documenso's defineJob), shaped for batches:
 * - `plan` loads what a batch of claimed jobs of its kind needs in a few queries and returns one
 *   task per job: the slow outside work (vendor calls, downloads), run in the worker's slots;
 * - `record` writes a batch of its kind's results in the recorder's transaction.
 *
 * One function records every batch of outcomes, in one transaction fenced by the leases: the
 * jobs' rows locked, then the accounts' (a job whose lease was lost meanwhile — checked on both —
 * is left out, recording nothing); each kind's results; the jobs' ends and the leases released;
 * the people's Activity notified. When a kind in the batch records profile changes (`locksUsers`:
 * it marks other accounts' jobs dirty), the rows of every person in the batch are locked first, as
 * every save does; a batch of deliveries alone locks no person.
 *
 * Lock order, in every transaction that writes sync state: users (in id order), then job rows,
 * then account rows (in id order). Job rows: the sync jobs (in account order), then the read jobs
 * (in account order), as `markDirty` then `requestReadBack` take them; unlink takes one account's
 * the same way. A save locks its user, then marks jobs dirty; re-link, reopen and unlink do the
 * same; an outcome never waits for a user row after taking a job row; claims, lease renewals and
 * the reconcile sweep never wait at all (SKIP LOCKED). Exceptions, safe because one account's jobs
 * run under one lease at a time (and the lease is checked again once its account row is locked):
 * a delivery's record (no person's lock) asks for a read-back of its own accounts after taking
 * their rows; an inbound event's or a read-back's record marks its own account's sync job dirty
 * after taking the account row — everyone else who waits for those job rows holds the person's
 * lock first, or takes the sync job before the read job, as the recorder did. Before all of these,
 * a chunk of a network being switched on (./reopen-network.ts) takes that network's row FOR NO KEY
 * UPDATE SKIP LOCKED: nobody waits for it while holding a person's lock, since linking and fan-out
 * take only key-share locks on network rows (which it does not block) and the admin's switch holds
 * nothing else when it updates the row.
 */
import pg from "pg";
import type { TConnectorResolver } from "../connectors/registry";
import type { TClientPool } from "./clients";
import type { TKeyring } from "../crypto/secrets";
import type { TDb, TTx } from "../db";
import { notifyActivity } from "../profile/notify";
import { decideAfterFailure } from "../sync/retry-policy";
import type { TObserved } from "../sync/state";
import { lockAccountsForRecord } from "./account-state";
import { endJobs, holdsLeases, lockUsers, type TClaimedJob, type TJobEnd } from "./queue";

export interface TJobDeps {
  db: TDb;
  connectors: TConnectorResolver;
  keyring: TKeyring;
  retryBaseMs: number;
  /** The worker's open clients, one per account in use (./clients.ts). */
  clients: TClientPool;
}

export interface TJobOutcome<TResult = unknown> {
  end: TJobEnd;
  /** What the kind's `record` writes, in the same transaction as the job's end. */
  result?: TResult;
}

/** One job's outside work; the signal aborts when the lease is lost or the worker stops hard. */
export type TJobTask<TResult = unknown> = (signal: AbortSignal) => Promise<TJobOutcome<TResult>>;

export interface TRecordContext {
  /** Observed state of every account in the batch, its row locked. */
  observed: ReadonlyMap<string, TObserved>;
}

export interface TJobDefinition<TResult = unknown> {
  kind: string;
  /** Its `record` writes profile revisions: lock its people's rows before any job row. */
  locksUsers?: boolean;
  plan(deps: TJobDeps, jobs: readonly TClaimedJob[]): Promise<Map<string, TJobTask<TResult>>>;
  record(
    tx: TTx,
    results: ReadonlyArray<{ job: TClaimedJob; result: TResult }>,
    context: TRecordContext,
  ): Promise<void>;
  /** What `record` writes for a job whose own code threw (its entries say why), if anything. */
  failed?(job: TClaimedJob, end: Exclude<TJobEnd, { state: "done" }>): TResult | undefined;
}

export function defineJob<TResult>(definition: TJobDefinition<TResult>): TJobDefinition {
  return definition as unknown as TJobDefinition;
}

/** What a person sees when a job failed on our side; the error itself goes to the log. */
export const UNEXPECTED_ERROR = "Something went wrong on our side while processing this change.";

/**
 * The outcome of a job whose own code threw (a bug, data it cannot handle, the database gone):
 * retried with backoff like a transient failure, dead-lettered with its reason after the last
 * attempt — so a poison job ends, and its account's later jobs go on.
 */
export function failedOutcome(
  definition: TJobDefinition | undefined,
  job: TClaimedJob,
  retryBaseMs: number,
): TJobOutcome {
  const decision = decideAfterFailure({ kind: "transient" }, job.attempts, { baseDelayMs: retryBaseMs });
  const end: Exclude<TJobEnd, { state: "done" }> =
    decision.action === "retry"
      ? { state: "retry", delayMs: decision.delayMs, error: UNEXPECTED_ERROR }
      : {
          state: "dead",
          error: `Gave up after ${job.attempts} attempt${job.attempts === 1 ? "" : "s"}: ${UNEXPECTED_ERROR}`,
        };
  const result = definition?.failed?.(job, end);
  return result === undefined ? { end } : { end, result };
}

/**
 * The last resort for a job whose outcome cannot be recorded at all (its account's state does not
 * even read): its end alone, fenced by its lease, without its kind's record — so it still ends.
 */
export async function endOnly(db: TDb, finished: readonly TFinished[]): Promise<void> {
  await db.$transaction(async (tx) => {
    const held = await holdsLeases(
      tx,
      finished.map(({ job }) => job),
    );
    await endJobs(
      tx,
      finished
        .filter(({ job }) => held.has(`${job.id}:${job.leaseToken}`))
        .map(({ job, outcome }) => ({ job, end: outcome.end })),
    );
  });
}

export interface TFinished {
  job: TClaimedJob;
  outcome: TJobOutcome;
}

/**
 * Records a batch of outcomes in one transaction; returns those recorded (a job whose lease was
 * lost meanwhile records nothing at all: another worker owns its account now).
 */
export async function recordOutcomes(
  db: TDb,
  definitionOf: (kind: string) => TJobDefinition | undefined,
  finished: readonly TFinished[],
): Promise<TFinished[]> {
  if (finished.length === 0) return [];
  return db.$transaction(async (tx) => {
    if (finished.some(({ job }) => definitionOf(job.kind)?.locksUsers)) {
      await lockUsers(
        tx,
        finished.map(({ job }) => job.userId),
      );
    }
    const held = await holdsLeases(
      tx,
      finished.map(({ job }) => job),
    );
    const leased = finished.filter(({ job }) => held.has(`${job.id}:${job.leaseToken}`));
    const { observed, leases } = await lockAccountsForRecord(
      tx,
      leased.map(({ job }) => job.linkedAccountId),
    );
    // Checked again now that the accounts are locked: a lease that ran out while this transaction
    // waited for an account may be another worker's by now (its claim committed in between).
    const kept = leased.filter(({ job }) => leases.get(job.linkedAccountId) === job.leaseToken);
    const byKind = new Map<string, Array<{ job: TClaimedJob; result: unknown }>>();
    for (const { job, outcome } of kept) {
      if (outcome.result === undefined) continue;
      const results = byKind.get(job.kind) ?? [];
      results.push({ job, result: outcome.result });
      byKind.set(job.kind, results);
    }
    for (const [kind, results] of byKind) await definitionOf(kind)?.record(tx, results, { observed });
    await endJobs(
      tx,
      kept.map(({ job, outcome }) => ({ job, end: outcome.end })),
    );
    await notifyActivity(tx, ...kept.map(({ job }) => job.userId));
    return kept;
  });
}

/**
 * Housekeeping that belongs to no account (the cleanup job): not a row in the queue, but a
 * definition each worker schedules — once shortly after it starts, then every `everyMs`. Its run
 * works in short statements of its own and stops between them when the signal aborts.
 */
export interface TScheduledJob {
  name: string;
  firstAfterMs: number;
  everyMs: number;
  run(db: TDb, signal: AbortSignal): Promise<void>;
}

export function defineScheduledJob(job: TScheduledJob): TScheduledJob {
  return job;
}

/**
 * Runs a scheduled job unless another worker is running it (then returns false at once). The
 * turn is a session advisory lock per job name, on a connection of its own for the run: it goes
 * with the connection, so a worker that dies mid-run frees it.
 */
export async function runScheduledJob(
  db: TDb,
  databaseUrl: string,
  job: TScheduledJob,
  signal: AbortSignal,
): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // A connection lost mid-run only frees the turn early; the run itself goes on through `db`.
  client.on("error", () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ isMine: boolean }>(
      `SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS "isMine"`,
      [`scheduled-job:${job.name}`],
    );
    if (!rows[0]?.isMine) return false;
    await job.run(db, signal);
    return true;
  } finally {
    await client.end().catch(() => {});
  }
}
