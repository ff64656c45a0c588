/**
 * The interface server's work on one claimed delivery (patent claim 5): send it through the
 * network's connector with its idempotency key, then record the outcome — delivered, retry
 * later, failed (and the account needs re-auth when the credentials were refused), superseded
 * when a newer version already reached the account.
 */
import type { TConnectorResolver } from "../connectors/registry";
import { ConnectorError, type TMappedSettings } from "../connectors/types";
import type { TKeyring } from "../crypto/secrets";
import type { TDb } from "../db";
import { logError } from "../log";
import { notifyActivity } from "../profile/notify";
import { openCredentials } from "../registration/credentials";
import { appliedHashes, type TAppliedHashes } from "../sync/echo";
import { decideAfterFailure } from "../sync/retry-policy";

export interface TDispatchDeps {
  db: TDb;
  connectors: TConnectorResolver;
  keyring: TKeyring;
  retryBaseMs: number;
}

interface TStoredSettings {
  displayName?: string;
  signature?: string;
  mood?: string | null;
  moodText?: string;
  avatarSha256?: string | null;
}

export function idempotencyKeyOf(deliveryId: string): string {
  return `oneprofile-delivery-${deliveryId}`;
}

export async function deliverOne(deps: TDispatchDeps, deliveryId: string, leaseToken: string): Promise<void> {
  const { db } = deps;
  const delivery = await db.delivery.findUnique({
    where: { id: deliveryId },
    include: { linkedAccount: { include: { network: true } } },
  });
  if (!delivery || delivery.state !== "SENDING" || delivery.leaseToken !== leaseToken) return;
  const account = delivery.linkedAccount;
  const owned = { id: deliveryId, leaseToken, state: "SENDING" as const };
  const finish = async (data: Parameters<TDb["delivery"]["updateMany"]>[0]["data"]) => {
    await db.$transaction(async (tx) => {
      await tx.delivery.updateMany({ where: owned, data: { ...data, leaseToken: null, leaseUntil: null } });
      await notifyActivity(tx, delivery.userId);
    });
  };

  if (account.lastAppliedVersion > delivery.version) {
    return finish({ state: "SUPERSEDED", lastError: "A newer change already reached this account." });
  }
  if (!account.network.isEnabled) {
    return finish({ state: "SKIPPED", lastError: `${account.network.displayName} is switched off.` });
  }
  if (account.status === "NEEDS_REAUTH") {
    return finish({
      state: "FAILED",
      lastError: `${account.network.displayName} needs you to link the account again.`,
    });
  }
  const connector = deps.connectors(account.networkId);
  if (!connector) return finish({ state: "SKIPPED", lastError: "This network has no connector." });

  const stored = delivery.settings as TStoredSettings;
  const { avatarSha256, ...text } = stored;
  const settings: TMappedSettings = { ...text };
  if (avatarSha256 !== undefined) {
    const image = avatarSha256 ? await db.avatar.findUnique({ where: { sha256: avatarSha256 } }) : null;
    settings.avatar = image ? { bytes: Buffer.from(image.data), contentType: image.contentType } : null;
  }

  try {
    await connector.apply(openCredentials(deps.keyring, account), settings, idempotencyKeyOf(delivery.id));
  } catch (error) {
    const failure =
      error instanceof ConnectorError ? error : new ConnectorError("transient", "Something went wrong while sending.");
    if (!(error instanceof ConnectorError)) logError(`delivery ${delivery.id}`, error);
    const decision = decideAfterFailure(failure, delivery.attempts, { baseDelayMs: deps.retryBaseMs });
    await db.$transaction(async (tx) => {
      const { count } = await tx.delivery.updateMany({
        where: owned,
        data:
          decision.action === "retry"
            ? {
                state: "RETRYING",
                nextAttemptAt: new Date(Date.now() + decision.delayMs),
                lastError: failure.message,
                leaseToken: null,
                leaseUntil: null,
              }
            : { state: "FAILED", lastError: failure.message, leaseToken: null, leaseUntil: null },
      });
      if (count === 0) return;
      await tx.linkedAccount.update({
        where: { id: account.id },
        data: {
          consecutiveFailures: { increment: 1 },
          ...(decision.action === "fail" && decision.isCredentialProblem ? { status: "NEEDS_REAUTH" as const } : {}),
        },
      });
      await notifyActivity(tx, delivery.userId);
    });
    return;
  }

  await db.$transaction(async (tx) => {
    const { count } = await tx.delivery.updateMany({
      where: owned,
      data: { state: "DELIVERED", deliveredAt: new Date(), lastError: null, leaseToken: null, leaseUntil: null },
    });
    if (count === 0) return;
    const current = await tx.linkedAccount.findUniqueOrThrow({
      where: { id: account.id },
      select: { lastApplied: true },
    });
    await tx.linkedAccount.update({
      where: { id: account.id },
      data: {
        lastApplied: { ...(current.lastApplied as TAppliedHashes), ...appliedHashes(stored) },
        lastAppliedVersion: Math.max(account.lastAppliedVersion, delivery.version),
        consecutiveFailures: 0,
      },
    });
    await notifyActivity(tx, delivery.userId);
  });
}
