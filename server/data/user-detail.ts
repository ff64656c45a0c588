/**
 * One person as support staff see them: their portal account, linked accounts (never
 * credentials: the selects below name every column read), recent changes with each delivery, and
 * what support did for them.
 */
import type { TDb } from "../db";
import { DomainError } from "../domain-error";
import { listActivity } from "../profile/queries";
import { syncOf } from "../registration/accounts";
import { effectiveStatus } from "../sync/account-status";
import { searchAudit } from "./audit";

export async function userDetail(db: TDb, userId: string) {
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { id: true, email: true, role: true, createdAt: true },
  });
  if (!user) throw new DomainError("NOT_FOUND", "No such user (they may have deleted their account).");
  const [accounts, lastDeliveries, changes, audit] = await Promise.all([
    db.linkedAccount.findMany({
      where: { userId },
      orderBy: [{ networkId: "asc" }, { login: "asc" }],
      select: {
        id: true,
        networkId: true,
        login: true,
        status: true,
        pausedAt: true,
        consecutiveFailures: true,
        syncAvatar: true,
        syncDisplayName: true,
        syncSignature: true,
        syncMood: true,
        verifiedAt: true,
        readAt: true,
        createdAt: true,
        network: { select: { displayName: true, isEnabled: true } },
      },
    }),
    db.delivery.groupBy({
      by: ["linkedAccountId"],
      where: { userId, state: "DELIVERED" },
      _max: { deliveredAt: true },
    }),
    listActivity(db, userId, 20),
    searchAudit(db, { subjectId: userId, limit: 20 }),
  ]);
  const failedCounts = await db.delivery.groupBy({
    by: ["linkedAccountId"],
    where: { userId, state: "FAILED" },
    _count: { _all: true },
  });
  const lastDeliveredOf = new Map(lastDeliveries.map((row) => [row.linkedAccountId, row._max.deliveredAt]));
  const failedOf = new Map(failedCounts.map((row) => [row.linkedAccountId, row._count._all]));
  return {
    user,
    accounts: accounts.map((account) => ({
      id: account.id,
      networkId: account.networkId,
      networkName: account.network.displayName,
      login: account.login,
      status: effectiveStatus(account),
      isPaused: account.pausedAt !== null,
      pausedAt: account.pausedAt,
      consecutiveFailures: account.consecutiveFailures,
      failedDeliveries: failedOf.get(account.id) ?? 0,
      sync: syncOf(account),
      lastDeliveredAt: lastDeliveredOf.get(account.id) ?? null,
      readAt: account.readAt,
      verifiedAt: account.verifiedAt,
      createdAt: account.createdAt,
    })),
    changes,
    audit: audit.rows,
  };
}
