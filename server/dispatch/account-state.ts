/**
 * An account's observed state and the Deliveries that follow it. Every write of observed state
 * happens under the account row's lock (SELECT … FOR NO KEY UPDATE, accounts in id order), so
 * concurrent writers never overwrite each other from stale reads. Each function takes a batch of
 * accounts and costs the same few statements for one account or a hundred.
 */
import type { TCapabilities } from "../connectors/types";
import type { TDb, TTx } from "../db";
import {
  deliveryOutcome,
  forgetVersions,
  owedFields,
  ZFieldVersions,
  ZObserved,
  ZProfileField,
  type TObserved,
  type TProfileField,
} from "../sync/state";
import { syncOf } from "../registration/accounts";
import { currentSnapshots } from "../profile/update";
import { toNetworkView } from "../registration/networks";
import { lockUsers, markDirty, wakeWorkers } from "./queue";

type TExecutor = Pick<TDb, "$executeRaw" | "$queryRaw">;

const json = (value: unknown) => JSON.stringify(value);

export function supportedFields(capabilities: TCapabilities): Record<TProfileField, boolean> {
  return {
    avatar: Boolean(capabilities.avatar),
    displayName: Boolean(capabilities.displayName),
    signature: Boolean(capabilities.signature),
    mood: Boolean(capabilities.mood),
  };
}

/** The accounts' observed states, their rows locked (in id order) until the transaction ends. */
export async function lockObservedMany(db: TExecutor, accountIds: readonly string[]): Promise<Map<string, TObserved>> {
  const unique = [...new Set(accountIds)];
  if (unique.length === 0) return new Map();
  const rows = await db.$queryRaw<Array<{ id: string; observed: unknown }>>`
    SELECT id, observed FROM linked_accounts
    WHERE id = ANY(${unique}::uuid[])
    ORDER BY id FOR NO KEY UPDATE`;
  return new Map(rows.map((row) => [row.id, ZObserved.parse(row.observed ?? {})]));
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
  for (const delivery of open) {
    const outcome = deliveryOutcome(
      { fields: ZProfileField.array().parse(delivery.fields), versions: ZFieldVersions.parse(delivery.versions) },
      observedOf.get(delivery.accountId) ?? {},
    );
    if (outcome === "delivered") delivered.push(delivery.id);
    if (outcome === "superseded") superseded.push(delivery.id);
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
 * Accounts that are active again (re-linked, network switched back on, retried by a person) owe
 * the current profile: each forgets which versions it shows and gets a new sync epoch (so the
 * resend's idempotency keys are new); its failed or skipped entries reopen, or one is made for
 * the latest change; and it is marked dirty. Lock order (define-job.ts): the people in id order,
 * the accounts' jobs (marked dirty, in account order), then the accounts in id order.
 */
export async function reopenAccounts(
  tx: TTx,
  inputs: ReadonlyArray<{ userId: string; accountId: string }>,
  options: { isNewLink?: boolean } = {},
): Promise<void> {
  if (inputs.length === 0) return;
  await lockUsers(
    tx,
    inputs.map((input) => input.userId),
  );
  await markDirty(tx, inputs);
  const observedOf = await lockObservedMany(
    tx,
    inputs.map((input) => input.accountId),
  );
  const desiredOf = await currentSnapshots(
    tx,
    inputs.map((input) => input.userId),
  );
  for (const input of [...inputs].sort((a, b) => (a.accountId < b.accountId ? -1 : 1))) {
    // A write left unconfirmed before is dropped: the resend under the new epoch carries
    // everything (after a re-link, the old session that carried it no longer works).
    await tx.$executeRaw`
      UPDATE linked_accounts SET observed = ${json(forgetVersions(observedOf.get(input.accountId) ?? {}, { isUnknown: !options.isNewLink }))}::jsonb,
        pending_write = NULL, sync_epoch = sync_epoch + 1, updated_at = now()
      WHERE id = ${input.accountId}::uuid`;
    const account = await tx.linkedAccount.findUniqueOrThrow({
      where: { id: input.accountId },
      include: { network: true },
    });
    const desired = desiredOf.get(input.userId)!;
    const reopened = await tx.delivery.updateMany({
      where: { linkedAccountId: input.accountId, state: { in: ["FAILED", "SKIPPED"] }, lastError: { not: null } },
      data: { state: "QUEUED", attempts: 0, nextAttemptAt: new Date(), lastError: null },
    });
    if (reopened.count === 0 && desired.revisionId) {
      const { capabilities } = toNetworkView(account.network);
      const fields = owedFields({
        desired: desired.fieldVersions,
        observed: {},
        sync: syncOf(account),
        supported: supportedFields(capabilities),
      });
      if (fields.length > 0) {
        await tx.delivery.create({
          data: {
            revisionId: desired.revisionId,
            userId: input.userId,
            linkedAccountId: input.accountId,
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
  options: { isNewLink?: boolean } = {},
): Promise<void> {
  await reopenAccounts(tx, [input], options);
}

/** The same, in a transaction of its own. */
export async function reopenAccountNow(db: TDb, input: { userId: string; accountId: string }): Promise<void> {
  await db.$transaction((tx) => reopenAccount(tx, input));
}
