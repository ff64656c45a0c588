/** The supported-identifier library as the portal shows it. */
import type { TDb } from "../db";
import { reopenAccounts } from "../dispatch/account-state";
import { DomainError } from "../domain-error";
import { recordAudit } from "../data/audit";
import { toNetworkView, type TNetworkView } from "./network-view";

export async function listNetworks(db: TDb): Promise<TNetworkView[]> {
  const rows = await db.network.findMany({ orderBy: { sortOrder: "asc" } });
  return rows.map(toNetworkView);
}

/** Admin: switch a network on or off. A disabled network cannot be linked and its accounts stop syncing. */
export async function setNetworkEnabled(
  db: TDb,
  actorId: string,
  networkId: string,
  isEnabled: boolean,
  reason?: string,
): Promise<TNetworkView> {
  const existing = await db.network.findUnique({ where: { id: networkId } });
  if (!existing) throw new DomainError("NOT_FOUND", "No such network.");
  const row = await db.$transaction(async (tx) => {
    const updated = await tx.network.update({ where: { id: networkId }, data: { isEnabled } });
    await recordAudit(tx, {
      actorId,
      subjectId: null,
      action: isEnabled ? "network.enable" : "network.disable",
      targetType: "network",
      targetId: networkId,
      ...(reason === undefined ? {} : { reason }),
    });
    // Switched back on: every active account of the network owes the current profile.
    if (isEnabled && !existing.isEnabled) {
      const accounts = await tx.linkedAccount.findMany({
        where: { networkId, status: "ACTIVE", pausedAt: null },
        select: { id: true, userId: true },
      });
      await reopenAccounts(
        tx,
        accounts.map((account) => ({ userId: account.userId, accountId: account.id })),
      );
    }
    return updated;
  });
  return toNetworkView(row);
}
