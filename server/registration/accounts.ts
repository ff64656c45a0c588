/** The user's application list: linked accounts, their health, and which fields each syncs. */
import type { TDb } from "../db";
import { lockUser, markDirty, READ_ACCOUNT, SYNC_ACCOUNT, wakeWorkers } from "../dispatch/queue";
import { recordAudit } from "../data/audit";
import { DomainError } from "../domain-error";
import type { TProfileField } from "../connectors/types";
import { effectiveStatus, type TAccountStatus } from "../sync/account-status";
import { accountNetworkView, supportedFields } from "./network-view";

export interface TAccountView {
  id: string;
  networkId: string;
  networkName: string;
  login: string;
  status: TAccountStatus;
  consecutiveFailures: number;
  sync: Record<TProfileField, boolean>;
  supported: Record<TProfileField, boolean>;
  verifiedAt: Date;
  createdAt: Date;
}

const SELECT = {
  id: true,
  networkId: true,
  login: true,
  status: true,
  consecutiveFailures: true,
  syncAvatar: true,
  syncDisplayName: true,
  syncSignature: true,
  syncMood: true,
  verifiedAt: true,
  createdAt: true,
  pausedAt: true,
  capabilities: true,
  network: { select: { id: true, displayName: true, isEnabled: true, hasConnector: true, capabilities: true } },
} as const;

type TAccountRow = {
  id: string;
  networkId: string;
  login: string;
  status: "ACTIVE" | "NEEDS_REAUTH";
  consecutiveFailures: number;
  syncAvatar: boolean;
  syncDisplayName: boolean;
  syncSignature: boolean;
  syncMood: boolean;
  verifiedAt: Date;
  createdAt: Date;
  pausedAt: Date | null;
  capabilities: unknown;
  network: { id: string; displayName: string; isEnabled: boolean; hasConnector: boolean; capabilities: unknown };
};

/** An account's four sync switches as one record. */
export function syncOf(row: {
  syncAvatar: boolean;
  syncDisplayName: boolean;
  syncSignature: boolean;
  syncMood: boolean;
}): Record<TProfileField, boolean> {
  return { avatar: row.syncAvatar, displayName: row.syncDisplayName, signature: row.syncSignature, mood: row.syncMood };
}

export function toAccountView(row: TAccountRow): TAccountView {
  return {
    id: row.id,
    networkId: row.networkId,
    networkName: row.network.displayName,
    login: row.login,
    status: effectiveStatus(row),
    consecutiveFailures: row.consecutiveFailures,
    sync: syncOf(row),
    // This account's own: its server may show less than the network's definition says.
    supported: supportedFields(accountNetworkView(row).capabilities),
    verifiedAt: row.verifiedAt,
    createdAt: row.createdAt,
  };
}

export async function listAccounts(db: TDb, userId: string): Promise<TAccountView[]> {
  const rows = await db.linkedAccount.findMany({
    where: { userId },
    orderBy: [{ network: { sortOrder: "asc" } }, { createdAt: "asc" }],
    select: SELECT,
  });
  return rows.map(toAccountView);
}

const NOT_FOUND = "That linked account does not exist.";

/** Unlinks an account: the row and its encrypted credentials are deleted. */
export async function unlinkAccount(db: TDb, userId: string, accountId: string): Promise<void> {
  // The owner is part of the query, so another user's account looks exactly like a missing one.
  const account = await db.linkedAccount.findFirst({
    where: { id: accountId, userId },
    select: { networkId: true, login: true },
  });
  if (!account) throw new DomainError("NOT_FOUND", NOT_FOUND);
  await db.$transaction(async (tx) => {
    // Lock order (server/dispatch/define-job.ts): the user, the account's jobs, then the account
    // (the delete locks it and cascades to the jobs; taking them first keeps a recorder of this
    // account, which holds its job and waits for the account, out of a circle). The jobs in the
    // order every marker takes them: the sync job, then the read job (a delivery's recorder holds
    // its sync job and then asks for a read-back without the person's lock), then the rest.
    await lockUser(tx, userId);
    await tx.$queryRaw`
      SELECT id FROM jobs WHERE linked_account_id = ${accountId}::uuid
      ORDER BY kind <> ${SYNC_ACCOUNT}, kind <> ${READ_ACCOUNT}, id FOR UPDATE`;
    // Its reports still queued go with its jobs: they end here, said why, instead of never.
    await tx.inboundEvent.updateMany({
      where: { linkedAccountId: accountId, processedAt: null },
      data: { processedAt: new Date(), outcome: "ignored", note: "The account was unlinked." },
    });
    await tx.linkedAccount.delete({ where: { id: accountId } });
    await recordAudit(tx, {
      actorId: userId,
      subjectId: userId,
      action: "account.unlink",
      targetType: "linked_account",
      targetId: accountId,
      details: { networkId: account.networkId, login: account.login },
    });
  });
}

const FIELD_COLUMNS = {
  avatar: "syncAvatar",
  displayName: "syncDisplayName",
  signature: "syncSignature",
  mood: "syncMood",
} as const satisfies Record<TProfileField, string>;

/** Chooses which of avatar, display name, signature and mood this account syncs. */
export async function setSyncFields(
  db: TDb,
  userId: string,
  accountId: string,
  fields: Partial<Record<TProfileField, boolean>>,
): Promise<TAccountView> {
  const data = Object.fromEntries(
    Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([field, value]) => [FIELD_COLUMNS[field as TProfileField], value]),
  );
  await db.$transaction(async (tx) => {
    // Lock order: the user, the account's job, then the account. A field switched on may be
    // behind: the account's job sends what it owes, if anything. Another person's account (or
    // none) throws inside the transaction, so the mark rolls back with it.
    await lockUser(tx, userId);
    // Unlinking holds the same user lock: an account found here stays until the commit. One that
    // is gone (or another person's) is refused before a job is queued for it (a job for no
    // account broke its foreign key: a 500 the fuzz test found).
    if ((await tx.linkedAccount.count({ where: { id: accountId, userId } })) === 0) {
      throw new DomainError("NOT_FOUND", NOT_FOUND);
    }
    const isSwitchingOn = Object.values(fields).some((value) => value === true);
    const off = Object.entries(fields)
      .filter(([, value]) => value === false)
      .map(([field]) => field);
    // Switched off, an unconfirmed write holding the field is dropped (below): the rest is sent anew.
    if (isSwitchingOn || off.length > 0) await markDirty(tx, [{ userId, accountId }]);
    const updated = await tx.linkedAccount.updateMany({ where: { id: accountId, userId }, data });
    if (updated.count === 0) throw new DomainError("NOT_FOUND", NOT_FOUND);
    // A field switched off is never sent again: an unconfirmed write holding it is dropped.
    if (off.length > 0) {
      await tx.$executeRaw`
        UPDATE linked_accounts SET pending_write = NULL
        WHERE id = ${accountId}::uuid AND pending_write->'hashes' ?| ${off}::text[]`;
    }
    if (isSwitchingOn || off.length > 0) await wakeWorkers(tx);
  });
  return toAccountView(await db.linkedAccount.findUniqueOrThrow({ where: { id: accountId }, select: SELECT }));
}

export { SELECT as ACCOUNT_SELECT };
