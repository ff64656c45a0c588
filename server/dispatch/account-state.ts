/**
 * An account's observed state and the Deliveries that follow it. Every write of observed state
 * happens under the account row's lock (SELECT … FOR NO KEY UPDATE, accounts in id order), so
 * concurrent writers never overwrite each other from stale reads. Each function takes a batch of
 * accounts and costs the same few statements for one account or a hundred.
 */
import type { TDb, TTx } from "../db";
import { renditionFor } from "../profile/avatars";
import { mapSettings } from "../sync/map-settings";
import {
  deliveryOutcome,
  desiredFieldsOf,
  PROFILE_FIELDS,
  refusalReason,
  ZFieldVersions,
  ZObserved,
  ZProfileField,
  type TDesiredFields,
  type TMappedDraft,
  type TObserved,
  type TProfileField,
} from "../sync/state";
import { syncOf } from "../registration/accounts";
import { currentSnapshots, type TDesiredState } from "../profile/update";
import { accountNetworkView, supportedFields, type TAccountNetworkView } from "../registration/network-view";
import { lockUsers, markDirty, requestReadBack, wakeWorkers } from "./queue";

type TExecutor = Pick<TDb, "$executeRaw" | "$queryRaw">;

const json = (value: unknown) => JSON.stringify(value);

const EVERY_FIELD: Record<TProfileField, boolean> = { avatar: true, displayName: true, signature: true, mood: true };

/**
 * The person's desired state mapped for one account's network — every field it can show, the avatar
 * as this network's rendition (made now if it is missing) — and hashed per field (server/sync/state.ts).
 */
export async function desiredForAccount(
  db: TDb,
  account: { network: TAccountNetworkView },
  desired: TDesiredState,
): Promise<{ fields: TDesiredFields; settings: TMappedDraft }> {
  const { network } = account;
  const { settings } = mapSettings({
    snapshot: desired.snapshot,
    fields: PROFILE_FIELDS,
    sync: EVERY_FIELD,
    capabilities: network.capabilities,
    networkName: network.displayName,
  });
  const original = settings.avatarSha256;
  if (original !== undefined) {
    settings.avatarSha256 =
      original && network.capabilities.avatar
        ? await renditionFor(db, original, network.renditionKey, network.capabilities.avatar)
        : null;
  }
  return { fields: desiredFieldsOf(settings, desired.fieldVersions), settings };
}

/** The accounts' observed states, their rows locked (in id order) until the transaction ends. */
export async function lockObservedMany(db: TExecutor, accountIds: readonly string[]): Promise<Map<string, TObserved>> {
  return (await lockAccountsForRecord(db, accountIds)).observed;
}

/**
 * `lockObservedMany`, with each account's lease token as it is once locked (a recorder checks its
 * lease again there: it may have run out, and been claimed by another worker, while it waited).
 */
export async function lockAccountsForRecord(
  db: TExecutor,
  accountIds: readonly string[],
): Promise<{ observed: Map<string, TObserved>; leases: Map<string, string | null> }> {
  const unique = [...new Set(accountIds)];
  if (unique.length === 0) return { observed: new Map(), leases: new Map() };
  const rows = await db.$queryRaw<Array<{ id: string; observed: unknown; lease: string | null }>>`
    SELECT id, observed, lease_token::text AS lease FROM linked_accounts
    WHERE id = ANY(${unique}::uuid[])
    ORDER BY id FOR NO KEY UPDATE`;
  return {
    observed: new Map(rows.map((row) => [row.id, ZObserved.parse(row.observed ?? {})])),
    leases: new Map(rows.map((row) => [row.id, row.lease])),
  };
}

/** One account's observed state, its row locked until the transaction ends. */
export async function lockObserved(db: TExecutor, accountId: string): Promise<TObserved> {
  return (await lockObservedMany(db, [accountId])).get(accountId) ?? {};
}

/** Writes the accounts' observed states (rows already locked by the caller). */
export async function writeObserved(
  db: TExecutor,
  states: ReadonlyMap<string, TObserved>,
  options: { isConfirmedWrite: boolean },
): Promise<void> {
  if (states.size === 0) return;
  const rows = [...states].map(([id, observed]) => ({ id, observed }));
  // A confirmed write also clears the unconfirmed one and the account's failure streak.
  await db.$executeRaw`
    UPDATE linked_accounts a SET observed = x.observed,
      pending_write = CASE WHEN ${options.isConfirmedWrite} THEN NULL ELSE a.pending_write END,
      consecutive_failures = CASE WHEN ${options.isConfirmedWrite} THEN 0 ELSE a.consecutive_failures END,
      updated_at = now()
    FROM jsonb_to_recordset(${json(rows)}::jsonb) AS x(id uuid, observed jsonb)
    WHERE a.id = x.id`;
}

export interface TSettled {
  delivered: number;
  superseded: number;
}

/**
 * Open Deliveries of these accounts become delivered or superseded once the account shows them;
 * so do dead-lettered ones, when a later run (the reconcile sweep, the next change) got them there.
 */
export async function settleDeliveries(db: TExecutor, observedOf: ReadonlyMap<string, TObserved>): Promise<TSettled> {
  if (observedOf.size === 0) return { delivered: 0, superseded: 0 };
  const open = await db.$queryRaw<Array<{ id: string; accountId: string; fields: unknown; versions: unknown }>>`
    SELECT d.id, d.linked_account_id AS "accountId", d.fields, r.field_versions AS versions
    FROM deliveries d JOIN profile_revisions r ON r.id = d.revision_id
    WHERE d.linked_account_id = ANY(${[...observedOf.keys()]}::uuid[])
      AND d.state IN ('QUEUED', 'SENDING', 'RETRYING', 'FAILED')`;
  const delivered: string[] = [];
  const superseded: string[] = [];
  const refused: Array<{ id: string; reason: string }> = [];
  for (const delivery of open) {
    const fields = ZProfileField.array().parse(delivery.fields);
    const observed = observedOf.get(delivery.accountId) ?? {};
    const outcome = deliveryOutcome({ fields, versions: ZFieldVersions.parse(delivery.versions) }, observed);
    if (outcome === "delivered") delivered.push(delivery.id);
    if (outcome === "superseded") superseded.push(delivery.id);
    if (outcome === "refused") refused.push({ id: delivery.id, reason: refusalReason(fields, observed) });
  }
  if (refused.length > 0) {
    // The account refused a value of it for good: it ends, saying why (the rest of it was delivered).
    await db.$executeRaw`
      UPDATE deliveries d SET state = 'FAILED', last_error = x.reason, updated_at = now()
      FROM jsonb_to_recordset(${json(refused)}::jsonb) AS x(id uuid, reason text)
      WHERE d.id = x.id AND d.state <> 'FAILED'`;
  }
  if (delivered.length > 0) {
    await db.$executeRaw`
      UPDATE deliveries SET state = 'DELIVERED', delivered_at = now(), last_error = NULL, updated_at = now()
      WHERE id = ANY(${delivered}::uuid[])`;
  }
  if (superseded.length > 0) {
    await db.$executeRaw`
      UPDATE deliveries SET state = 'SUPERSEDED', updated_at = now(),
        last_error = 'A later change of the same fields reached this account first.'
      WHERE id = ANY(${superseded}::uuid[])`;
  }
  return { delivered: delivered.length, superseded: superseded.length };
}

/**
 * Open Deliveries of accounts that owe nothing, yet do not show them (a field no longer synced, a
 * value the network cannot show): they end as skipped, saying so, instead of waiting forever.
 */
export async function skipUnowed(
  db: TExecutor,
  accounts: ReadonlyArray<{ accountId: string; version: number }>,
): Promise<void> {
  if (accounts.length === 0) return;
  // Only entries of the profile version judged: a save committed meanwhile has its own run coming.
  await db.$executeRaw`
    UPDATE deliveries d SET state = 'SKIPPED', updated_at = now(),
      last_error = 'Not sent: this account no longer syncs these fields, or cannot show them.'
    FROM jsonb_to_recordset(${json(accounts)}::jsonb) AS x("accountId" uuid, version int)
    WHERE d.linked_account_id = x."accountId" AND d.version <= x.version
      AND d.state IN ('QUEUED', 'SENDING', 'RETRYING')`;
}

export interface TOpenMark {
  accountId: string;
  state: "SENDING" | "RETRYING" | "FAILED" | "SKIPPED";
  /** Kept as it was when omitted. */
  lastError?: string;
  nextAttemptAt?: Date;
}

/** Open Deliveries of each account take its state and reason (sending, retrying, failed, skipped). */
export async function markOpenDeliveries(db: TExecutor, marks: readonly TOpenMark[]): Promise<void> {
  if (marks.length === 0) return;
  const rows = marks.map((mark) => ({
    account_id: mark.accountId,
    state: mark.state,
    has_error: mark.lastError !== undefined,
    error: mark.lastError ?? null,
    next_at: mark.nextAttemptAt?.toISOString() ?? null,
  }));
  await db.$executeRaw`
    UPDATE deliveries d SET state = x.state::"DeliveryState",
      last_error = CASE WHEN x.has_error THEN x.error ELSE d.last_error END,
      next_attempt_at = COALESCE(x.next_at, d.next_attempt_at),
      attempts = d.attempts + CASE WHEN x.state = 'SENDING' THEN 1 ELSE 0 END,
      updated_at = now()
    FROM jsonb_to_recordset(${json(rows)}::jsonb)
      AS x(account_id uuid, state text, has_error boolean, error text, next_at timestamptz)
    WHERE d.linked_account_id = x.account_id AND d.state IN ('QUEUED', 'SENDING', 'RETRYING')`;
}

/**
 * Accounts that are active again (re-linked, network switched back on, retried by a person) are
 * brought to the current profile: their failed or skipped entries reopen (or one is made for the
 * latest change), they are marked dirty, and what they show is read back (a change made there
 * meanwhile may have gone unreported). What they owe follows from values (server/sync/state.ts):
 * nothing is forgotten. Lock order (define-job.ts): the people in id order, then the accounts'
 * jobs (in account order), then the accounts in id order.
 *
 * `isRetry`: someone asked to try again (a person's Retry, support's retry or resend): values the
 * accounts refused for good are forgotten, so they are owed, and sent, again.
 */
export async function reopenAccounts(
  tx: TTx,
  inputs: ReadonlyArray<{ userId: string; accountId: string }>,
  options: { isRetry?: boolean } = {},
): Promise<void> {
  if (inputs.length === 0) return;
  await lockUsers(
    tx,
    inputs.map((input) => input.userId),
  );
  // Read before the people's locks, an account may have been unlinked since (unlink holds the same
  // lock): only the ones still there are reopened — a job for a gone account breaks its foreign key.
  const ids = inputs.map((input) => input.accountId);
  const present = new Set(
    (
      await tx.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM linked_accounts WHERE id = ANY(${ids}::uuid[])`
    ).map((row) => row.id),
  );
  inputs = inputs.filter((input) => present.has(input.accountId));
  if (inputs.length === 0) return;
  await markDirty(tx, inputs);
  await requestReadBack(tx, inputs);
  const desiredOf = await currentSnapshots(
    tx,
    inputs.map((input) => input.userId),
  );
  for (const input of [...inputs].sort((a, b) => (a.accountId < b.accountId ? -1 : 1))) {
    const account = await tx.linkedAccount.findUniqueOrThrow({
      where: { id: input.accountId },
      include: { network: true },
    });
    const desired = desiredOf.get(input.userId)!;
    // A write left unconfirmed before is dropped (after a re-link, the session that carried it no
    // longer works): what differs is sent anew, with keys of its own.
    await tx.$executeRaw`UPDATE linked_accounts SET pending_write = NULL, updated_at = now() WHERE id = ${input.accountId}::uuid`;
    if (options.isRetry) {
      await tx.$executeRaw`
        UPDATE linked_accounts
        SET observed = coalesce((SELECT jsonb_object_agg(f.key, f.value - 'r') FROM jsonb_each(observed) f), '{}'::jsonb)
        WHERE id = ${input.accountId}::uuid`;
    }
    const reopened = await tx.delivery.updateMany({
      where: { linkedAccountId: input.accountId, state: { in: ["FAILED", "SKIPPED"] }, lastError: { not: null } },
      data: { state: "QUEUED", attempts: 0, nextAttemptAt: new Date(), lastError: null },
    });
    if (reopened.count === 0 && desired.revisionId) {
      const supported = supportedFields(accountNetworkView(account).capabilities);
      const sync = syncOf(account);
      const fields = PROFILE_FIELDS.filter(
        (field) => sync[field] && supported[field] && (desired.fieldVersions[field] ?? 0) > 0,
      );
      if (fields.length > 0) {
        await tx.delivery.create({
          data: {
            revisionId: desired.revisionId,
            userId: input.userId,
            linkedAccountId: input.accountId,
            networkId: account.networkId,
            version: desired.version,
            fields,
            settings: {},
          },
        });
      }
    }
  }
  await wakeWorkers(tx);
}

export async function reopenAccount(
  tx: TTx,
  input: { userId: string; accountId: string },
  options: { isRetry?: boolean } = {},
): Promise<void> {
  await reopenAccounts(tx, [input], options);
}

/** The same, in a transaction of its own. */
export async function reopenAccountNow(db: TDb, input: { userId: string; accountId: string }): Promise<void> {
  await db.$transaction((tx) => reopenAccount(tx, input));
}
