/**
 * Jobs as a definition plus a handler (documenso's defineJob): a kind, and a `run` that does the
 * slow outside work (vendor calls, downloads) and returns an outcome. One function records every
 * outcome, in one transaction fenced by the account's lease: the kind's own bookkeeping, the
 * job's state, the lease released, and the person's Activity notified.
 *
 * Lock order, in every transaction that writes sync state: the user's row, then job rows, then
 * the account's row.
 */
import type { TConnectorResolver } from "../connectors/registry";
import type { TKeyring } from "../crypto/secrets";
import type { TDb, TTx } from "../db";
import { notifyActivity } from "../profile/notify";
import { lockUser } from "../profile/update";
import { endJob, holdsLease, type TClaimedJob, type TJobEnd } from "./queue";

export interface TJobDeps {
  db: TDb;
  connectors: TConnectorResolver;
  keyring: TKeyring;
  retryBaseMs: number;
}

export interface TJobContext extends TJobDeps {
  job: TClaimedJob;
  /** Aborted when the lease is lost or the worker is stopping hard. */
  signal: AbortSignal;
}

export interface TJobOutcome {
  end: TJobEnd;
  /** The kind's own bookkeeping, in the same transaction as the job's end. */
  record?: (tx: TTx) => Promise<void>;
}

export interface TJobDefinition {
  kind: string;
  run(context: TJobContext): Promise<TJobOutcome>;
}

export function defineJob(definition: TJobDefinition): TJobDefinition {
  return definition;
}

/** Records an outcome; nothing at all when the lease was lost meanwhile (another worker owns it). */
export async function recordOutcome(db: TDb, job: TClaimedJob, outcome: TJobOutcome): Promise<boolean> {
  return db.$transaction(async (tx) => {
    // Locks in one order everywhere — the user, then jobs, then the account — so a save and an
    // outcome never wait for each other in a circle.
    await lockUser(tx, job.userId);
    if (!(await holdsLease(tx, job))) return false;
    await outcome.record?.(tx);
    await endJob(tx, job, outcome.end);
    await notifyActivity(tx, job.userId);
    return true;
  });
}
