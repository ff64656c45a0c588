/** The supported-identifier library as the portal shows it. */
import type { TDb } from "../db";
import { REOPEN_FROM_START, reopenSwitchedOnNetworks } from "../dispatch/reopen-network";
import { DomainError } from "../domain-error";
import { logError } from "../log";
import { recordAudit } from "../data/audit";
import { toNetworkView, type TNetworkView } from "./network-view";

/** How long switching a network on reopens its accounts before answering (the sweep does the rest). */
const REOPEN_AT_SWITCH_MS = 2_000;

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
  const isSwitchedOn = isEnabled && !existing.isEnabled;
  const row = await db.$transaction(async (tx) => {
    // Switched back on: every active account of the network owes the current profile. They are
    // reopened in chunks (server/dispatch/reopen-network.ts) from the first; switched off, not at all.
    const reopenCursor = isSwitchedOn ? REOPEN_FROM_START : isEnabled ? existing.reopenCursor : null;
    const updated = await tx.network.update({ where: { id: networkId }, data: { isEnabled, reopenCursor } });
    await recordAudit(tx, {
      actorId,
      subjectId: null,
      action: isEnabled ? "network.enable" : "network.disable",
      targetType: "network",
      targetId: networkId,
      ...(reason === undefined ? {} : { reason }),
    });
    return updated;
  });
  // A small network is done before the answer; a large one goes on in the workers' sweep.
  // The switch itself is done: a failure here is left to the sweep, which goes on from the cursor.
  if (isSwitchedOn) {
    await reopenSwitchedOnNetworks(db, { budgetMs: REOPEN_AT_SWITCH_MS }).catch((error: unknown) =>
      logError("reopening a switched-on network's accounts", error),
    );
  }
  return toNetworkView(row);
}
