/** Reading the unified profile, previewing it per network, and the activity log. */
import type { TProfileField } from "../connectors/types";
import { db as processDb, type TDb } from "../db";
import { DomainError } from "../domain-error";
import { accountNetworkView } from "../registration/network-view";
import { syncOf } from "../registration/accounts";
import { effectiveStatus } from "../sync/account-status";
import { mapSettings, type TProfileSnapshot, type TSkipped, type TWarning } from "../sync/map-settings";
import { notifyActivity } from "./notify";
import { reopenAccount } from "../dispatch/account-state";
import { currentSnapshot } from "./update";

const ALL_FIELDS: TProfileField[] = ["avatar", "displayName", "signature", "mood"];

export async function getProfile(db: TDb, userId: string) {
  const { snapshot, version } = await currentSnapshot(db, userId);
  return { ...snapshot, version };
}

/**
 * Exactly what each linked account would receive for this profile (the text as given, the
 * avatar the user has now), with the reasons.
 */
export async function previewProfile(db: TDb, userId: string, text: Omit<TProfileSnapshot, "avatarSha256">) {
  const { snapshot: current } = await currentSnapshot(db, userId);
  const snapshot: TProfileSnapshot = { ...text, avatarSha256: current.avatarSha256 };
  const accounts = await db.linkedAccount.findMany({
    where: { userId },
    include: { network: true },
    orderBy: [{ network: { sortOrder: "asc" } }, { createdAt: "asc" }],
  });
  return accounts.map((account) => {
    const network = accountNetworkView(account);
    const mapping = mapSettings({
      snapshot,
      fields: ALL_FIELDS,
      sync: syncOf(account),
      capabilities: network.capabilities,
      networkName: network.displayName,
    });
    const { avatarSha256, ...textSettings } = mapping.settings;
    return {
      accountId: account.id,
      networkId: account.networkId,
      networkName: network.displayName,
      login: account.login,
      status: effectiveStatus(account),
      settings: textSettings,
      // The avatar is sent as a rendition made to these rules.
      avatar: avatarSha256 ? (network.capabilities.avatar ?? null) : null,
      skipped: mapping.skipped as TSkipped[],
      warnings: mapping.warnings as TWarning[],
    };
  });
}

/** The latest updates with each target account's delivery, newest first. */
export async function listActivity(db: TDb, userId: string, limit: number) {
  const revisions = await db.profileRevision.findMany({
    where: { userId },
    orderBy: { version: "desc" },
    take: limit,
    include: {
      sourceAccount: { select: { login: true } },
      deliveries: {
        orderBy: { createdAt: "asc" },
        include: {
          linkedAccount: { select: { login: true, networkId: true, network: { select: { displayName: true } } } },
        },
      },
    },
  });
  return revisions.map((revision) => ({
    id: revision.id,
    version: revision.version,
    source: revision.source,
    sourceLogin: revision.sourceAccount?.login ?? null,
    changedFields: revision.changedFields as TProfileField[],
    snapshot: {
      displayName: revision.displayName,
      signature: revision.signature,
      mood: revision.mood,
      moodText: revision.moodText,
      avatarSha256: revision.avatarSha256,
    },
    createdAt: revision.createdAt,
    deliveries: revision.deliveries.map((delivery) => ({
      id: delivery.id,
      networkId: delivery.linkedAccount.networkId,
      networkName: delivery.linkedAccount.network.displayName,
      login: delivery.linkedAccount.login,
      state: delivery.state,
      attempts: delivery.attempts,
      nextAttemptAt: delivery.nextAttemptAt,
      lastError: delivery.lastError,
      deliveredAt: delivery.deliveredAt,
      skipped: delivery.skipped as unknown as TSkipped[],
      warnings: delivery.warnings as unknown as TWarning[],
    })),
  }));
}

/**
 * Retry on a failed entry: the account is tried again now, with the current profile (a newer
 * change of the same field that reaches it first supersedes this entry).
 */
export async function retryDelivery(db: TDb, userId: string, deliveryId: string): Promise<void> {
  const delivery = await db.delivery.findFirst({
    where: { id: deliveryId, userId },
    include: { linkedAccount: { include: { network: true } } },
  });
  if (!delivery) throw new DomainError("NOT_FOUND", "That delivery does not exist.");
  if (delivery.state !== "FAILED")
    throw new DomainError("PRECONDITION_FAILED", "Only failed deliveries can be retried.");
  const account = delivery.linkedAccount;
  if (account.status === "NEEDS_REAUTH") {
    throw new DomainError(
      "PRECONDITION_FAILED",
      `${account.network.displayName} no longer accepts the saved password. Sign the account in again first.`,
    );
  }
  if (!account.network.isEnabled) {
    throw new DomainError("PRECONDITION_FAILED", `${account.network.displayName} is switched off at the moment.`);
  }
  if (account.pausedAt !== null) {
    throw new DomainError(
      "PRECONDITION_FAILED",
      `OneProfile support has paused syncing to this ${account.network.displayName} account; it gets your profile when support resumes it.`,
    );
  }
  await db.$transaction(async (tx) => {
    await reopenAccount(tx, { userId, accountId: account.id }, { isRetry: true });
    await notifyActivity(tx, userId);
  });
}

/**
 * A stored avatar by its content hash, for the avatar route (app/api/avatars): null when there is
 * none, or when the hash is not one (64 lowercase hex digits), which is never looked up.
 */
export async function findAvatar(
  sha256: string,
  db: Pick<TDb, "avatar"> = processDb,
): Promise<{ data: Uint8Array<ArrayBuffer>; contentType: string } | null> {
  if (!/^[0-9a-f]{64}$/.test(sha256)) return null;
  const avatar = await db.avatar.findUnique({ where: { sha256 } });
  return avatar && { data: new Uint8Array(avatar.data), contentType: avatar.contentType };
}
