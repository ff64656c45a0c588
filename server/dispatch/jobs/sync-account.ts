/**
 * The interface server's job for one account (patent claim 5): bring it to the desired state.
 * It reads the person's latest profile when planned, maps it for the account's network, and sends
 * the fields whose values differ from what the account was last observed to show
 * (server/sync/state.ts), with idempotency keys derived from what is sent and what was seen. The
 * write is recorded as unconfirmed before the call: until an answer confirms it, every later run
 * sends it again exactly (same keys, same body) before anything newer, so the vendor applies it
 * once, and a copy of it that lands late (a vendor still working on a request we timed out on) can
 * never overwrite a newer value; its echo is recognised even if the worker dies mid-send. Its answer
 * is an observation like any other: it feeds the account's observed state by the vendor's mark (a
 * mark lower than one seen before is a reset: everything that then differs is sent). Whatever still
 * differs afterwards (the person saved again meanwhile) keeps the account dirty. A value the vendor
 * refuses for good is recorded as refused — the other fields still go — and not sent again until
 * the person's value changes.
 *
 * A batch is planned in a few queries (its accounts, its people's latest revisions, the
 * unconfirmed writes marked in one statement) and recorded in a few more.
 */
import { ConnectorError, type TCredentials, type TMappedSettings } from "../../connectors/types";
import type { TDb, TTx } from "../../db";
import { logError } from "../../log";
import { timeVendorCall } from "../../metrics";
import { currentSnapshots, type TDesiredState } from "../../profile/update";
import { syncOf } from "../../registration/accounts";
import { openCredentials } from "../../registration/credentials";
import { accountNetworkView, supportedFields } from "../../registration/network-view";
import { decideAfterFailure } from "../../sync/retry-policy";
import {
  hashesOf,
  observe,
  owedFields,
  raiseShown,
  refuseWrite,
  writeBasis,
  writeKeyOf,
  ZObserved,
  ZUnconfirmedWrite,
  type TDesiredFields,
  type TFieldVersions,
  type TMappedDraft,
  type TObserved,
  type TProfileField,
  type TUnconfirmedWrite,
  type TVendorMark,
} from "../../sync/state";
import {
  desiredForAccount,
  markOpenDeliveries,
  settleDeliveries,
  skipUnowed,
  writeObserved,
  type TOpenMark,
} from "../account-state";
import { defineJob, type TJobDeps, type TJobOutcome, type TJobTask } from "../define-job";
import { refusedCredentialsOf } from "../clients";
import { markDirty, requestReadBack, SYNC_ACCOUNT, type TClaimedJob } from "../queue";
import { effectiveStatus } from "../../sync/account-status";

/**
 * The network of each planned job's account, noted by the plan (which loads the account) for the
 * delivery metrics (delivery-metrics.ts). Keyed by the job object, a note goes when its job does.
 */
export const networkOfJob = new WeakMap<TClaimedJob, string>();

/** What a run found out, for the batch's record. */
export type TSyncResult =
  /** A write's answer: an observation of the fields sent; `plannedVersion` is the profile version it was planned from. */
  | {
      type: "sent";
      write: TUnconfirmedWrite;
      marks: Partial<Record<TProfileField, TVendorMark>>;
      isReplay: boolean;
      /** null: a resend of an older write, so whatever differs is sent next. */
      plannedVersion: number | null;
      /** The desired state the write was planned from (mapped for this account). */
      desired: TDesiredFields;
    }
  /** The vendor refused these fields' values for good: recorded, the rest goes next run. */
  | { type: "refused"; write: TUnconfirmedWrite; fields: TProfileField[]; why: string }
  /** Nothing was owed: it shows the desired state; its entries settle from that. */
  | { type: "settle"; desired: TDesiredFields; version: number }
  /** Its open entries take this state; a failure counts in its streak; a refused password marks it. */
  | {
      type: "open";
      mark: Omit<TOpenMark, "accountId">;
      isFailure: boolean;
      refusedCredentials?: string[];
      /**
       * Given up: its unconfirmed write is dropped. Long after its last try it cannot land late, and
       * resent first on revival it could overwrite a change made in the network since; what still
       * differs is sent anew (with keys of its own) once the account is read back.
       */
      isDead?: boolean;
    };

type TOutcome = TJobOutcome<TSyncResult>;

const FIELD_LABELS: Record<TProfileField, string> = {
  avatar: "avatar",
  displayName: "display name",
  signature: "signature",
  mood: "mood",
};
const fieldLabel = (field: TProfileField) => FIELD_LABELS[field];

const done = (result: TSyncResult): TOutcome => ({ end: { state: "done" }, result });

type TAccount = NonNullable<Awaited<ReturnType<typeof loadAccounts>>[number]>;

function loadAccounts(db: TDb, ids: readonly string[]) {
  return db.linkedAccount.findMany({ where: { id: { in: [...ids] } }, include: { network: true } });
}

/** The write the account owes now, or what it shows of the desired state when it owes nothing. */
async function nextWrite(
  db: TDb,
  account: TAccount,
  desired: TDesiredState,
): Promise<{ write: TUnconfirmedWrite; isResend: boolean; desired: TDesiredFields } | { desired: TDesiredFields }> {
  const network = accountNetworkView(account);
  const wanted = await desiredForAccount(db, { network }, desired);
  if (account.pendingWrite !== null) {
    return { write: ZUnconfirmedWrite.parse(account.pendingWrite), isResend: true, desired: wanted.fields };
  }
  const sync = syncOf(account);
  const observed = ZObserved.parse(account.observed);
  const owed = owedFields({ desired: wanted.fields, observed, sync, supported: supportedFields(network.capabilities) });
  if (owed.length === 0) return { desired: wanted.fields };
  const draft: TMappedDraft = {};
  if (owed.includes("displayName")) draft.displayName = wanted.settings.displayName;
  if (owed.includes("signature")) draft.signature = wanted.settings.signature;
  if (owed.includes("mood")) {
    draft.mood = wanted.settings.mood;
    if (wanted.settings.moodText !== undefined) draft.moodText = wanted.settings.moodText;
  }
  if (owed.includes("avatar")) draft.avatarSha256 = wanted.settings.avatarSha256;
  const { avatarSha256, ...text } = draft;
  const hashes = hashesOf(draft);
  const versionsOf = (fields: readonly TProfileField[]): TFieldVersions =>
    Object.fromEntries(fields.map((field) => [field, wanted.fields[field].version]));
  const keyOf = (part: "profile" | "avatar", fields: readonly TProfileField[]) => {
    const sent = Object.fromEntries(fields.map((field) => [field, hashes[field]!]));
    return writeKeyOf({ accountId: account.id, basis: writeBasis(observed, sent), part, versions: versionsOf(fields) });
  };
  const textFields = owed.filter((field) => field !== "avatar");
  return {
    write: {
      versions: versionsOf(owed),
      hashes,
      keys: {
        profile: keyOf("profile", textFields),
        avatar: keyOf("avatar", owed.includes("avatar") ? ["avatar"] : []),
      },
      text,
      ...(avatarSha256 !== undefined ? { avatarSha256 } : {}),
    },
    isResend: false,
    desired: wanted.fields,
  };
}

/** Marks the batch's writes unconfirmed, fenced by the leases; returns the accounts marked. */
async function markUnconfirmed(
  db: TDb,
  writes: ReadonlyArray<{ job: TClaimedJob; write: TUnconfirmedWrite }>,
): Promise<Set<string>> {
  if (writes.length === 0) return new Set();
  const rows = writes.map(({ job, write }) => ({ id: job.linkedAccountId, token: job.leaseToken, write }));
  const marked = await db.$queryRaw<Array<{ id: string }>>`
    WITH x AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(id uuid, token uuid, write jsonb)
    ), locked AS (
      SELECT a.id FROM linked_accounts a JOIN x ON x.id = a.id AND a.lease_token = x.token
      ORDER BY a.id FOR NO KEY UPDATE OF a
    ), marked AS (
      UPDATE linked_accounts a SET pending_write = x.write
      FROM x, locked WHERE a.id = x.id AND locked.id = a.id
      RETURNING a.id
    ), sending AS (
      UPDATE deliveries d SET state = 'SENDING', attempts = d.attempts + 1, updated_at = now()
      FROM marked WHERE d.linked_account_id = marked.id AND d.state IN ('QUEUED', 'SENDING', 'RETRYING')
    )
    SELECT id FROM marked`;
  return new Set(marked.map((row) => row.id));
}

/** The answer to a send, or the failure turned into retry, dead letter or re-auth. */
async function send(
  deps: TJobDeps,
  input: {
    job: TClaimedJob;
    account: TAccount;
    credentials: TCredentials;
    write: TUnconfirmedWrite;
    image: TMappedSettings["avatar"];
    plannedVersion: number | null;
    desired: TDesiredFields;
  },
  signal: AbortSignal,
): Promise<TOutcome> {
  const { job, account, write } = input;
  const network = accountNetworkView(account);
  const client = deps.clients.clientOf(account, input.credentials)!;
  const settings: TMappedSettings = { ...write.text };
  if (write.avatarSha256 !== undefined) settings.avatar = input.image;
  try {
    const answer = await timeVendorCall(account.networkId, () =>
      client.apply(settings, { idempotencyKeys: write.keys, signal }),
    );
    return done({
      type: "sent",
      write,
      marks: answer.marks,
      isReplay: answer.isReplay === true,
      plannedVersion: input.plannedVersion,
      desired: input.desired,
    });
  } catch (error) {
    if (error instanceof ConnectorError && error.kind === "refused" && error.fields.length > 0) {
      const fields = error.fields.filter((field) => write.hashes[field] !== undefined);
      const why = `${network.displayName} refused the ${fields.map(fieldLabel).join(" and ")}: ${error.message}`;
      if (fields.length > 0) return done({ type: "refused", write, fields, why });
    }
    const failure =
      error instanceof ConnectorError ? error : new ConnectorError("transient", "Something went wrong while sending.");
    if (!(error instanceof ConnectorError)) logError(`account ${account.id} send`, error);
    const decision = decideAfterFailure(failure, job.attempts, { baseDelayMs: deps.retryBaseMs });
    if (decision.action === "retry") {
      return {
        end: { state: "retry", delayMs: decision.delayMs, error: failure.message },
        result: {
          type: "open",
          mark: {
            state: "RETRYING",
            lastError: failure.message,
            nextAttemptAt: new Date(Date.now() + decision.delayMs),
          },
          isFailure: true,
        },
      };
    }
    const reason = decision.isCredentialProblem
      ? `${network.displayName} no longer accepts the saved password: ${failure.message}`
      : `Gave up after ${job.attempts} attempt${job.attempts === 1 ? "" : "s"}: ${failure.message}`;
    return {
      end: { state: "dead", error: reason },
      result: {
        type: "open",
        mark: { state: "FAILED", lastError: reason },
        isFailure: true,
        isDead: true,
        // Only the password this run used is known bad: one entered again meanwhile stays active.
        ...(decision.isCredentialProblem ? { refusedCredentials: refusedCredentialsOf(deps.clients, account) } : {}),
      },
    };
  }
}

async function plan(deps: TJobDeps, jobs: readonly TClaimedJob[]): Promise<Map<string, TJobTask<TSyncResult>>> {
  const { db } = deps;
  const tasks = new Map<string, TJobTask<TSyncResult>>();
  const now = (outcome: TOutcome) => async () => outcome;
  const accounts = new Map(
    (
      await loadAccounts(
        db,
        jobs.map((job) => job.key),
      )
    ).map((row) => [row.id, row]),
  );
  const desiredOf = await currentSnapshots(
    db,
    [...accounts.values()].map((account) => account.userId),
  );
  const writes: Array<{
    job: TClaimedJob;
    account: TAccount;
    credentials: TCredentials;
    write: TUnconfirmedWrite;
    plannedVersion: number | null;
    desired: TDesiredFields;
  }> = [];
  for (const job of jobs) {
    const account = accounts.get(job.key);
    if (!account) {
      tasks.set(job.id, async () => ({ end: { state: "done" } }));
      continue;
    }
    networkOfJob.set(job, account.networkId);
    const network = accountNetworkView(account);
    // Not active: nothing is sent; its open entries say why. It owes the profile when active again.
    const status = effectiveStatus({ ...account, network });
    if (status !== "active") {
      const lastError = {
        disabled: `${network.displayName} is switched off.`,
        paused: `Paused by support.`,
        needs_reauth: `${network.displayName} needs you to link the account again.`,
      }[status];
      const state = status === "needs_reauth" ? "FAILED" : "SKIPPED";
      tasks.set(job.id, now(done({ type: "open", mark: { state, lastError }, isFailure: false })));
      continue;
    }
    if (!deps.connectors(account.networkId)) {
      const mark = { state: "SKIPPED", lastError: "This network has no connector." } as const;
      tasks.set(job.id, now(done({ type: "open", mark, isFailure: false })));
      continue;
    }
    let credentials: TCredentials;
    try {
      credentials = openCredentials(deps.keyring, account);
    } catch (error) {
      logError(`account ${account.id} credentials`, error);
      const reason = "The saved password could not be read. Link the account again.";
      const result: TSyncResult = {
        type: "open",
        mark: { state: "FAILED", lastError: reason },
        isFailure: true,
        refusedCredentials: [account.credentials],
      };
      tasks.set(job.id, now({ end: { state: "dead", error: reason }, result }));
      continue;
    }
    const desired = desiredOf.get(account.userId)!;
    const next = await nextWrite(db, account, desired);
    if (!("write" in next))
      tasks.set(job.id, now(done({ type: "settle", desired: next.desired, version: desired.version })));
    // A resend was planned from an older profile: what differs afterwards is sent next run.
    else
      writes.push({
        job,
        account,
        credentials,
        write: next.write,
        plannedVersion: next.isResend ? null : desired.version,
        desired: next.desired,
      });
  }

  // The writes are unconfirmed from here until their answers are recorded: fenced by the leases.
  const marked = await markUnconfirmed(db, writes);
  const shas = [...new Set(writes.flatMap(({ write }) => (write.avatarSha256 ? [write.avatarSha256] : [])))];
  const images = new Map(
    shas.length === 0
      ? []
      : (await db.avatar.findMany({ where: { sha256: { in: shas } } })).map((image) => [
          image.sha256,
          { bytes: Buffer.from(image.data), contentType: image.contentType },
        ]),
  );
  for (const { job, account, credentials, write, plannedVersion, desired } of writes) {
    // Its lease was lost before the write was marked: no task; the worker lets the job go.
    if (!marked.has(account.id)) continue;
    const image = write.avatarSha256 ? (images.get(write.avatarSha256) ?? null) : null;
    tasks.set(job.id, (signal) =>
      send(deps, { job, account, credentials, write, image, plannedVersion, desired }, signal),
    );
  }
  return tasks;
}

async function record(
  tx: TTx,
  results: ReadonlyArray<{ job: TClaimedJob; result: TSyncResult }>,
  context: { observed: ReadonlyMap<string, TObserved> },
): Promise<void> {
  const answered = new Map<string, TObserved>();
  const shown = new Map<string, TObserved>();
  const unowed: Array<{ accountId: string; version: number }> = [];
  const behind: Array<{ userId: string; accountId: string }> = [];
  const marks: TOpenMark[] = [];
  const failures: string[] = [];
  const dead: string[] = [];
  const resets: Array<{ userId: string; accountId: string }> = [];
  // Whether the person saved again since a write was planned: then what differs is sent next run.
  const desiredOf = await currentSnapshots(
    tx,
    results.filter(({ result }) => result.type === "sent").map(({ job }) => job.userId),
  );
  for (const { job, result } of results) {
    const accountId = job.linkedAccountId;
    const observed = context.observed.get(accountId) ?? {};
    if (result.type === "sent") {
      const { write } = result;
      const seen = observe(observed, {
        kind: result.isReplay ? "replay" : "answer",
        hashes: write.hashes,
        marks: Object.fromEntries(
          Object.keys(write.hashes).map((field) => [field, result.marks[field as TProfileField] ?? null]),
        ),
        versions: write.versions,
      });
      // Complete (every field taken, no reset, planned from the current profile): it owes nothing
      // more, and shows the desired state of every field it shows the value of.
      const isCurrent =
        result.plannedVersion === desiredOf.get(job.userId)!.version &&
        !seen.isReset &&
        seen.fresh.length === Object.keys(write.hashes).length;
      const next = isCurrent ? raiseShown(seen.observed, result.desired) : seen.observed;
      answered.set(accountId, next);
      shown.set(accountId, next);
      if (isCurrent) unowed.push({ accountId, version: result.plannedVersion! });
      else behind.push({ userId: job.userId, accountId });
      // The vendor went back in time: what it shows of the fields not written is read back first.
      if (seen.isReset) resets.push({ userId: job.userId, accountId });
    } else if (result.type === "refused") {
      const refused = refuseWrite(observed, result.write, result.fields, result.why);
      answered.set(accountId, refused);
      shown.set(accountId, refused);
      behind.push({ userId: job.userId, accountId });
    } else if (result.type === "settle") {
      shown.set(accountId, raiseShown(observed, result.desired));
      unowed.push({ accountId, version: result.version });
    } else {
      marks.push({ accountId, ...result.mark });
      if (result.isFailure) failures.push(accountId);
      if (result.isDead) dead.push(accountId);
      if (result.refusedCredentials !== undefined) {
        await tx.linkedAccount.updateMany({
          where: { id: accountId, credentials: { in: result.refusedCredentials } },
          data: { status: "NEEDS_REAUTH" },
        });
      }
    }
  }
  await writeObserved(tx, answered, { isConfirmedWrite: true });
  await writeObserved(tx, new Map([...shown].filter(([accountId]) => !answered.has(accountId))), {
    isConfirmedWrite: false,
  });
  await settleDeliveries(tx, shown);
  await skipUnowed(tx, unowed);
  await markDirty(tx, behind);
  await requestReadBack(tx, resets);
  await markOpenDeliveries(tx, marks);
  if (dead.length > 0) {
    await tx.$executeRaw`UPDATE linked_accounts SET pending_write = NULL WHERE id = ANY(${dead}::uuid[])`;
  }
  if (failures.length > 0) {
    await tx.$executeRaw`
      UPDATE linked_accounts SET consecutive_failures = consecutive_failures + 1, updated_at = now()
      WHERE id = ANY(${failures}::uuid[])`;
  }
}

export const syncAccountJob = defineJob<TSyncResult>({
  kind: SYNC_ACCOUNT,
  plan,
  record,
  failed: (_job, end) => ({
    type: "open",
    mark:
      end.state === "retry"
        ? { state: "RETRYING", lastError: end.error, nextAttemptAt: new Date(Date.now() + end.delayMs) }
        : { state: "FAILED", lastError: end.error },
    isFailure: true,
    ...(end.state === "dead" ? { isDead: true } : {}),
  }),
});
