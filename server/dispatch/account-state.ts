/**
 * An account's observed state and the Deliveries that follow it. Every write of observed state
 * happens under the account row's lock (SELECT … FOR UPDATE), so concurrent writers never
 * overwrite each other from stale reads.
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
import { currentSnapshot, lockUser } from "../profile/update";
import { toNetworkView } from "../registration/networks";
import { markDirty, wakeWorkers } from "./queue";

export function supportedFields(capabilities: TCapabilities): Record<TProfileField, boolean> {
  return {
    avatar: Boolean(capabilities.avatar),
    displayName: Boolean(capabilities.displayName),
    signature: Boolean(capabilities.signature),
    mood: Boolean(capabilities.mood),
  };
}

/** The account's observed state, its row locked until the transaction ends. */
export async function lockObserved(tx: TTx, accountId: string): Promise<TObserved> {
  const rows = await tx.$queryRaw<Array<{ observed: unknown }>>`
    SELECT observed FROM linked_accounts WHERE id = ${accountId}::uuid FOR NO KEY UPDATE`;
  return ZObserved.parse(rows[0]?.observed ?? {});
}

const OPEN = ["QUEUED", "SENDING", "RETRYING"] as const;

/**
 * Open Deliveries of the account become delivered or superseded once the account shows them; so
 * do dead-lettered ones, when a later run (the reconcile sweep, the next change) got them there.
 */
export async function settleDeliveries(tx: TTx, accountId: string, observed: TObserved): Promise<void> {
  const open = await tx.delivery.findMany({
    where: { linkedAccountId: accountId, state: { in: [...OPEN, "FAILED"] } },
    select: { id: true, fields: true, revision: { select: { fieldVersions: true } } },
  });
  const delivered: string[] = [];
  const superseded: string[] = [];
  for (const delivery of open) {
    const outcome = deliveryOutcome(
      {
        fields: ZProfileField.array().parse(delivery.fields),
        versions: ZFieldVersions.parse(delivery.revision.fieldVersions),
      },
      observed,
    );
    if (outcome === "delivered") delivered.push(delivery.id);
    if (outcome === "superseded") superseded.push(delivery.id);
  }
  if (delivered.length > 0) {
    await tx.delivery.updateMany({
      where: { id: { in: delivered } },
      data: { state: "DELIVERED", deliveredAt: new Date(), lastError: null },
    });
  }
  if (superseded.length > 0) {
    await tx.delivery.updateMany({
      where: { id: { in: superseded } },
      data: { state: "SUPERSEDED", lastError: "A later change of the same fields reached this account first." },
    });
  }
}

/** Open Deliveries of the account take this state and reason (retrying, failed, skipped). */
export async function markOpenDeliveries(
  tx: TTx,
  accountId: string,
  data: { state: "SENDING" | "RETRYING" | "FAILED" | "SKIPPED"; lastError?: string | null; nextAttemptAt?: Date },
): Promise<void> {
  await tx.delivery.updateMany({
    where: { linkedAccountId: accountId, state: { in: [...OPEN] } },
    data: {
      ...data,
      ...(data.state === "SENDING" ? { attempts: { increment: 1 } } : {}),
    },
  });
}

/**
 * An account that is active again (re-linked, network switched back on, retried by a person)
 * owes the current profile: it forgets which versions it shows and gets a new sync epoch (so the
 * resend's idempotency keys are new); its failed or skipped entries reopen, or one is made for
 * the latest change; and it is marked dirty.
 */
export async function reopenAccount(tx: TTx, input: { userId: string; accountId: string }): Promise<void> {
  await lockUser(tx, input.userId);
  const observed = await lockObserved(tx, input.accountId);
  // A write left unconfirmed before is dropped: the resend under the new epoch carries everything
  // (after a re-link, the old session that carried it no longer works).
  await tx.$executeRaw`
    UPDATE linked_accounts SET observed = ${JSON.stringify(forgetVersions(observed))}::jsonb, pending_write = NULL,
      sync_epoch = sync_epoch + 1, updated_at = now()
    WHERE id = ${input.accountId}::uuid`;
  const account = await tx.linkedAccount.findUniqueOrThrow({
    where: { id: input.accountId },
    include: { network: true },
  });
  const desired = await currentSnapshot(tx, input.userId);
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
  await markDirty(tx, input);
  await wakeWorkers(tx);
}

/** The same, in a transaction of its own. */
export async function reopenAccountNow(db: TDb, input: { userId: string; accountId: string }): Promise<void> {
  await db.$transaction((tx) => reopenAccount(tx, input));
}
