/**
 * What support staff do for a person, each with its reason, audited in the same transaction as
 * the action (server/data/audit.ts). Accounts brought back go through the engine's one way
 * (`reopenAccounts`): their failed entries reopen, they are read back, and they get what differs
 * from the current profile.
 */
import { reopenAccounts } from "../dispatch/account-state";
import { lockUsers, markDirty } from "../dispatch/queue";
import type { TDb, TTx } from "../db";
import { recordAudit } from "../data/audit";
import { DomainError } from "../domain-error";
import { notifyActivity } from "../profile/notify";
import { effectiveStatus, type TAccountStatus } from "../sync/account-status";

export interface TSupportActor {
  actorId: string;
  reason: string;
}

const ACCOUNT_SELECT = {
  id: true,
  userId: true,
  networkId: true,
  login: true,
  status: true,
  pausedAt: true,
  network: { select: { displayName: true, isEnabled: true } },
} as const;

type TAccount = {
  id: string;
  userId: string;
  networkId: string;
  login: string;
  status: "ACTIVE" | "NEEDS_REAUTH";
  pausedAt: Date | null;
  network: { displayName: string; isEnabled: boolean };
};

/** Why an account cannot be sent anything now, in words for support staff; null when it can. */
function whyInactive(account: TAccount): string | null {
  const reasons: Record<Exclude<TAccountStatus, "active">, string> = {
    disabled: `${account.network.displayName} is switched off; switch it on under Networks first.`,
    needs_reauth: `${account.network.displayName} refuses the saved password: only the person can link the account again.`,
    paused: "This account is paused by support; resume it first.",
  };
  const status = effectiveStatus(account);
  return status === "active" ? null : reasons[status];
}

/** Reads an account, taking no lock (reopenAccounts locks in the engine's order). */
async function readAccount(tx: TTx, accountId: string): Promise<TAccount> {
  const account = await tx.linkedAccount.findUnique({ where: { id: accountId }, select: ACCOUNT_SELECT });
  if (!account) throw new DomainError("NOT_FOUND", "That linked account does not exist (it may have been unlinked).");
  return account;
}

/** Tries one failed delivery again: its account gets the current profile now. */
export async function retryDeliveryForUser(db: TDb, deliveryId: string, actor: TSupportActor): Promise<void> {
  await db.$transaction(async (tx) => {
    const delivery = await tx.delivery.findUnique({
      where: { id: deliveryId },
      select: { id: true, state: true, userId: true, linkedAccountId: true },
    });
    if (!delivery) throw new DomainError("NOT_FOUND", "That delivery does not exist.");
    // The person's lock first (the engine's order), so what is checked below holds until commit.
    await lockUsers(tx, [delivery.userId]);
    if (
      (await tx.delivery.findUniqueOrThrow({ where: { id: deliveryId }, select: { state: true } })).state !== "FAILED"
    )
      throw new DomainError(
        "PRECONDITION_FAILED",
        "Only a failed delivery can be retried; this one is not failed any more.",
      );
    const account = await readAccount(tx, delivery.linkedAccountId);
    const why = whyInactive(account);
    if (why) throw new DomainError("PRECONDITION_FAILED", why);
    await reopenAccounts(tx, [{ userId: account.userId, accountId: account.id }], { isRetry: true });
    await recordAudit(tx, {
      actorId: actor.actorId,
      subjectId: account.userId,
      action: "admin.delivery.retry",
      targetType: "delivery",
      targetId: delivery.id,
      reason: actor.reason,
      details: { accountId: account.id, networkId: account.networkId, login: account.login },
    });
    await notifyActivity(tx, account.userId);
  });
}

/** Tries every failed delivery of a person again, on each account that can be sent to now. */
export async function retryFailedForUser(
  db: TDb,
  userId: string,
  actor: TSupportActor,
): Promise<{ accounts: number; skipped: Array<{ login: string; networkId: string; why: string }> }> {
  return db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: userId }, select: { id: true } });
    if (!user) throw new DomainError("NOT_FOUND", "No such user.");
    await lockUsers(tx, [userId]);
    const failed = await tx.delivery.groupBy({ by: ["linkedAccountId"], where: { userId, state: "FAILED" } });
    if (failed.length === 0) throw new DomainError("PRECONDITION_FAILED", "This person has no failed deliveries.");
    const accounts = await tx.linkedAccount.findMany({
      where: { id: { in: failed.map((row) => row.linkedAccountId) } },
      select: ACCOUNT_SELECT,
    });
    const retried = accounts.filter((account) => whyInactive(account) === null);
    const skipped = accounts
      .filter((account) => whyInactive(account) !== null)
      .map((account) => ({ login: account.login, networkId: account.networkId, why: whyInactive(account)! }));
    if (retried.length === 0) throw new DomainError("PRECONDITION_FAILED", skipped.map((entry) => entry.why).join(" "));
    await reopenAccounts(
      tx,
      retried.map((account) => ({ userId, accountId: account.id })),
      { isRetry: true },
    );
    await recordAudit(tx, {
      actorId: actor.actorId,
      subjectId: userId,
      action: "admin.deliveries.retry_failed",
      targetType: "user",
      targetId: userId,
      reason: actor.reason,
      details: { accountIds: retried.map((account) => account.id) },
    });
    await notifyActivity(tx, userId);
    return { accounts: retried.length, skipped };
  });
}

/**
 * Pauses or resumes one account's sync. Paused: nothing is sent to it (its open entries say
 * "Paused by support."), its reports only record the vendor's mark, and the person cannot resume
 * it. Resumed: it is read back and gets what differs from the current profile.
 */
export async function setAccountPaused(
  db: TDb,
  accountId: string,
  isPaused: boolean,
  actor: TSupportActor,
): Promise<void> {
  await db.$transaction(async (tx) => {
    // The engine's lock order (define-job.ts): the person, then the account's jobs, then the account.
    const { userId } = await readAccount(tx, accountId);
    await lockUsers(tx, [userId]);
    const account = await readAccount(tx, accountId);
    if ((account.pausedAt !== null) === isPaused)
      throw new DomainError("CONFLICT", isPaused ? "This account is already paused." : "This account is not paused.");
    const input = [{ userId, accountId }];
    // Paused: its sync job runs once to mark the open entries; resumed: it is brought up to date.
    if (isPaused) await markDirty(tx, input);
    else await reopenAccounts(tx, input);
    const pausedAt = isPaused ? new Date() : null;
    await tx.linkedAccount.update({ where: { id: accountId }, data: { pausedAt } });
    // Held per network login too: a new link of it (after an unlink) takes the pause over.
    const key = { networkId_login: { networkId: account.networkId, login: account.login } };
    if (pausedAt)
      await tx.supportPause.upsert({ where: key, create: { ...key.networkId_login, pausedAt }, update: { pausedAt } });
    else await tx.supportPause.deleteMany({ where: { networkId: account.networkId, login: account.login } });
    await recordAudit(tx, {
      actorId: actor.actorId,
      subjectId: account.userId,
      action: isPaused ? "admin.account.pause" : "admin.account.resume",
      targetType: "linked_account",
      targetId: accountId,
      reason: actor.reason,
      details: { networkId: account.networkId, login: account.login },
    });
    await notifyActivity(tx, account.userId);
  });
}

/**
 * Sends the current profile to one account again: it is read back first (what it really shows,
 * whatever we recorded), and every field that differs is sent (server/sync/state.ts).
 */
export async function resendProfile(db: TDb, accountId: string, actor: TSupportActor): Promise<void> {
  await db.$transaction(async (tx) => {
    await lockUsers(tx, [(await readAccount(tx, accountId)).userId]);
    const account = await readAccount(tx, accountId);
    const why = whyInactive(account);
    if (why) throw new DomainError("PRECONDITION_FAILED", why);
    await reopenAccounts(tx, [{ userId: account.userId, accountId }], { isRetry: true });
    await recordAudit(tx, {
      actorId: actor.actorId,
      subjectId: account.userId,
      action: "admin.account.resend",
      targetType: "linked_account",
      targetId: accountId,
      reason: actor.reason,
      details: { networkId: account.networkId, login: account.login },
    });
    await notifyActivity(tx, account.userId);
  });
}
