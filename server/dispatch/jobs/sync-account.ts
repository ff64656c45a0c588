/**
 * The interface server's job for one account (patent claim 5): bring it to the desired state.
 * It reads the person's latest profile when planned, computes the fields the account owes
 * (desired version newer than what it shows), maps them to the network, and sends them with
 * idempotency keys derived from (account, epoch, field versions). The write is recorded as
 * unconfirmed before the call: until an answer confirms it, every later run sends it again exactly
 * (same keys, same body) before anything newer, so the vendor applies it once, and a copy of it
 * that lands late (a vendor still working on a request we timed out on) can never overwrite a
 * newer value; its echo is recognised even if the worker dies mid-send. On success the account's
 * observed state takes the versions sent and the vendor's marks; if the account still owes
 * something (the person saved again meanwhile), it stays dirty and runs again.
 *
 * A batch is planned in a few queries (its accounts, its people's latest revisions, the
 * unconfirmed writes marked in one statement) and recorded in a few more.
 */
import { ConnectorError, type TCredentials, type TMappedSettings } from "../../connectors/types";
import type { TDb, TTx } from "../../db";
import { logError } from "../../log";
import { timeVendorCall } from "../../metrics";
import { renditionFor } from "../../profile/avatars";
import { currentSnapshots, type TDesiredState } from "../../profile/update";
import { syncOf } from "../../registration/accounts";
import { openCredentials } from "../../registration/credentials";
import { toNetworkView } from "../../registration/networks";
import { mapSettings } from "../../sync/map-settings";
import { decideAfterFailure } from "../../sync/retry-policy";
import {
  hashesOf,
  mergeObserved,
  owedFields,
  writeKeyOf,
  ZObserved,
  ZUnconfirmedWrite,
  type TFieldVersions,
  type TObserved,
  type TProfileField,
  type TUnconfirmedWrite,
} from "../../sync/state";
import { markOpenDeliveries, settleDeliveries, supportedFields, writeObserved, type TOpenMark } from "../account-state";
import { defineJob, type TJobDeps, type TJobOutcome, type TJobTask } from "../define-job";
import { networkOfJob } from "../delivery-metrics";
import { markDirty, SYNC_ACCOUNT, type TClaimedJob } from "../queue";

type TFields = Record<TProfileField, boolean>;

/** What a run found out, for the batch's record. */
export type TSyncResult =
  /** The account now shows these versions (a confirmed write); it may still owe newer ones. */
  | { type: "sent"; sent: TObserved; sync: TFields; supported: TFields }
  /** Nothing was owed: its entries settle from what it shows. */
  | { type: "settle" }
  /** Its open entries take this state; a failure counts in its streak; a refused password marks it. */
  | { type: "open"; mark: Omit<TOpenMark, "accountId">; isFailure: boolean; refusedCredentials?: string };

type TOutcome = TJobOutcome<TSyncResult>;

const done = (result: TSyncResult): TOutcome => ({ end: { state: "done" }, result });

type TAccount = NonNullable<Awaited<ReturnType<typeof loadAccounts>>[number]>;

function loadAccounts(db: TDb, ids: readonly string[]) {
  return db.linkedAccount.findMany({ where: { id: { in: [...ids] } }, include: { network: true } });
}

/** The write the account owes now, or null when it owes nothing. */
async function nextWrite(db: TDb, account: TAccount, desired: TDesiredState): Promise<TUnconfirmedWrite | null> {
  if (account.pendingWrite !== null) return ZUnconfirmedWrite.parse(account.pendingWrite);
  const network = toNetworkView(account.network);
  const sync = syncOf(account);
  const observed = ZObserved.parse(account.observed);
  const owed = owedFields({
    desired: desired.fieldVersions,
    observed,
    sync,
    supported: supportedFields(network.capabilities),
  });
  if (owed.length === 0) return null;
  const mapping = mapSettings({
    snapshot: desired.snapshot,
    fields: owed,
    sync,
    capabilities: network.capabilities,
    networkName: network.displayName,
  });
  const { avatarSha256: original, ...text } = mapping.settings;
  let avatarSha256: string | null | undefined;
  if (original !== undefined) {
    avatarSha256 =
      original && network.capabilities.avatar
        ? await renditionFor(db, original, account.networkId, network.capabilities.avatar)
        : null;
  }
  // A field the person never set has version 0 (sent when the account's state is unknown).
  const versions = (fields: readonly TProfileField[]): TFieldVersions =>
    Object.fromEntries(fields.map((field) => [field, desired.fieldVersions[field] ?? 0]));
  const keyOf = (part: "profile" | "avatar", fields: readonly TProfileField[]) =>
    writeKeyOf({ accountId: account.id, epoch: account.syncEpoch, part, versions: versions(fields) });
  return {
    versions: versions(owed),
    hashes: hashesOf({ ...text, ...(avatarSha256 !== undefined ? { avatarSha256 } : {}) }),
    keys: {
      profile: keyOf(
        "profile",
        owed.filter((field) => field !== "avatar"),
      ),
      avatar: keyOf(
        "avatar",
        owed.filter((field) => field === "avatar"),
      ),
    },
    text,
    ...(avatarSha256 !== undefined ? { avatarSha256 } : {}),
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
  },
  signal: AbortSignal,
): Promise<TOutcome> {
  const { job, account, write } = input;
  const network = toNetworkView(account.network);
  const connector = deps.connectors(account.networkId)!;
  const settings: TMappedSettings = { ...write.text };
  if (write.avatarSha256 !== undefined) settings.avatar = input.image;
  try {
    const { marks } = await timeVendorCall(account.networkId, () =>
      connector.apply(input.credentials, settings, { idempotencyKeys: write.keys, signal }),
    );
    const sent: TObserved = {};
    for (const field of Object.keys(write.versions) as TProfileField[]) {
      sent[field] = { v: write.versions[field] ?? 0, h: write.hashes[field] ?? null, m: marks[field] ?? null };
    }
    return done({ type: "sent", sent, sync: syncOf(account), supported: supportedFields(network.capabilities) });
  } catch (error) {
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
        // Only the password this run used is known bad: one entered again meanwhile stays active.
        ...(decision.isCredentialProblem ? { refusedCredentials: account.credentials } : {}),
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
  const writes: Array<{ job: TClaimedJob; account: TAccount; credentials: TCredentials; write: TUnconfirmedWrite }> =
    [];
  for (const job of jobs) {
    const account = accounts.get(job.key);
    if (!account) {
      tasks.set(job.id, async () => ({ end: { state: "done" } }));
      continue;
    }
    networkOfJob.set(job, account.networkId);
    const network = toNetworkView(account.network);
    // Not active: nothing is sent; its open entries say why. It owes the profile when active again.
    if (!network.isEnabled || account.status !== "ACTIVE") {
      const lastError = !network.isEnabled
        ? `${network.displayName} is switched off.`
        : `${network.displayName} needs you to link the account again.`;
      const state = network.isEnabled ? "FAILED" : "SKIPPED";
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
        refusedCredentials: account.credentials,
      };
      tasks.set(job.id, now({ end: { state: "dead", error: reason }, result }));
      continue;
    }
    const write = await nextWrite(db, account, desiredOf.get(account.userId)!);
    if (!write) tasks.set(job.id, now(done({ type: "settle" })));
    else writes.push({ job, account, credentials, write });
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
  for (const { job, account, credentials, write } of writes) {
    // Its lease was lost before the write was marked: no task; the worker lets the job go.
    if (!marked.has(account.id)) continue;
    const image = write.avatarSha256 ? (images.get(write.avatarSha256) ?? null) : null;
    tasks.set(job.id, (signal) => send(deps, { job, account, credentials, write, image }, signal));
  }
  return tasks;
}

async function record(
  tx: TTx,
  results: ReadonlyArray<{ job: TClaimedJob; result: TSyncResult }>,
  context: { observed: ReadonlyMap<string, TObserved> },
): Promise<void> {
  const confirmed = new Map<string, TObserved>();
  const shown = new Map<string, TObserved>();
  const owedCheck: Array<{ job: TClaimedJob; sync: TFields; supported: TFields }> = [];
  const marks: TOpenMark[] = [];
  const failures: string[] = [];
  for (const { job, result } of results) {
    const accountId = job.linkedAccountId;
    const observed = context.observed.get(accountId) ?? {};
    if (result.type === "sent") {
      const merged = mergeObserved(observed, result.sent);
      confirmed.set(accountId, merged);
      shown.set(accountId, merged);
      owedCheck.push({ job, sync: result.sync, supported: result.supported });
    } else if (result.type === "settle") {
      shown.set(accountId, observed);
    } else {
      marks.push({ accountId, ...result.mark });
      if (result.isFailure) failures.push(accountId);
      if (result.refusedCredentials !== undefined) {
        await tx.linkedAccount.updateMany({
          where: { id: accountId, credentials: result.refusedCredentials },
          data: { status: "NEEDS_REAUTH" },
        });
      }
    }
  }
  await writeObserved(tx, confirmed, { isConfirmedWrite: true });
  await settleDeliveries(tx, shown);
  // Still behind (the person saved again while the write was out): it stays dirty.
  const desiredOf = await currentSnapshots(
    tx,
    owedCheck.map(({ job }) => job.userId),
  );
  await markDirty(
    tx,
    owedCheck
      .filter(
        ({ job, sync, supported }) =>
          owedFields({
            desired: desiredOf.get(job.userId)!.fieldVersions,
            observed: confirmed.get(job.linkedAccountId)!,
            sync,
            supported,
          }).length > 0,
      )
      .map(({ job }) => ({ userId: job.userId, accountId: job.linkedAccountId })),
  );
  await markOpenDeliveries(tx, marks);
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
  }),
});
