/**
 * The interface server's job for one account (patent claim 5): bring it to the desired state.
 * It reads the person's latest profile at send time, computes the fields the account owes
 * (desired version newer than what it shows), maps them to the network, and sends them with
 * idempotency keys derived from (account, epoch, field versions). The write is recorded as
 * unconfirmed before the call: until an answer confirms it, every later run sends it again exactly
 * (same keys, same body) before anything newer, so the vendor applies it once, and a copy of it
 * that lands late (a vendor still working on a request we timed out on) can never overwrite a
 * newer value; its echo is recognised even if the worker dies mid-send. On success the account's
 * observed state takes the versions sent and the vendor's marks; if the account still owes
 * something (the person saved again meanwhile), it stays dirty and runs again.
 */
import { ConnectorError, type TMappedSettings } from "../../connectors/types";
import type { TTx } from "../../db";
import { logError } from "../../log";
import { renditionFor } from "../../profile/avatars";
import { currentSnapshot, lockUser } from "../../profile/update";
import { syncOf } from "../../registration/accounts";
import { openCredentials } from "../../registration/credentials";
import { toNetworkView } from "../../registration/networks";
import { mapSettings } from "../../sync/map-settings";
import { decideAfterFailure } from "../../sync/retry-policy";
import {
  hashesOf,
  mergeObserved,
  owedFields,
  writeKeyOf,
  ZObserved,
  ZUnconfirmedWrite,
  type TFieldVersions,
  type TUnconfirmedWrite,
  type TObserved,
  type TProfileField,
} from "../../sync/state";
import { lockObserved, markOpenDeliveries, settleDeliveries, supportedFields } from "../account-state";
import { defineJob, type TJobOutcome } from "../define-job";
import { markDirty, SYNC_ACCOUNT } from "../queue";

/** After a successful send: observed state merged, entries settled, dirty again if still behind. */
async function recordSent(
  tx: TTx,
  input: {
    userId: string;
    accountId: string;
    sent: TObserved;
    sync: Record<TProfileField, boolean>;
    supported: Record<TProfileField, boolean>;
  },
) {
  await lockUser(tx, input.userId);
  const observed = mergeObserved(await lockObserved(tx, input.accountId), input.sent);
  await tx.$executeRaw`
    UPDATE linked_accounts SET observed = ${JSON.stringify(observed)}::jsonb, pending_write = NULL,
      consecutive_failures = 0, updated_at = now()
    WHERE id = ${input.accountId}::uuid`;
  await settleDeliveries(tx, input.accountId, observed);
  const desired = await currentSnapshot(tx, input.userId);
  if (
    owedFields({ desired: desired.fieldVersions, observed, sync: input.sync, supported: input.supported }).length > 0
  ) {
    await markDirty(tx, { userId: input.userId, accountId: input.accountId });
  }
}

export const syncAccountJob = defineJob({
  kind: SYNC_ACCOUNT,
  async run({ db, connectors, keyring, retryBaseMs, job, signal }): Promise<TJobOutcome> {
    const account = await db.linkedAccount.findUnique({ where: { id: job.key }, include: { network: true } });
    if (!account) return { end: { state: "done" } };
    const network = toNetworkView(account.network);
    const accountId = account.id;

    // Not active: nothing is sent; its open entries say why. It owes the profile when active again.
    if (!network.isEnabled || account.status !== "ACTIVE") {
      const reason = !network.isEnabled
        ? `${network.displayName} is switched off.`
        : `${network.displayName} needs you to link the account again.`;
      return {
        end: { state: "done" },
        record: (tx) =>
          markOpenDeliveries(tx, accountId, { state: network.isEnabled ? "FAILED" : "SKIPPED", lastError: reason }),
      };
    }
    const connector = connectors(account.networkId);
    const sync = syncOf(account);
    const supported = supportedFields(network.capabilities);
    if (!connector) {
      return {
        end: { state: "done" },
        record: (tx) =>
          markOpenDeliveries(tx, accountId, { state: "SKIPPED", lastError: "This network has no connector." }),
      };
    }

    const desired = await currentSnapshot(db, account.userId);
    const observed = ZObserved.parse(account.observed);
    // An unconfirmed write goes again first, exactly as it was; otherwise what the account owes now.
    let write: TUnconfirmedWrite;
    if (account.pendingWrite !== null) {
      write = ZUnconfirmedWrite.parse(account.pendingWrite);
    } else {
      const owed = owedFields({ desired: desired.fieldVersions, observed, sync, supported });
      if (owed.length === 0) {
        return { end: { state: "done" }, record: (tx) => settleDeliveries(tx, accountId, observed) };
      }
      const mapping = mapSettings({
        snapshot: desired.snapshot,
        fields: owed,
        sync,
        capabilities: network.capabilities,
        networkName: network.displayName,
      });
      const { avatarSha256: original, ...text } = mapping.settings;
      let avatarSha256: string | null | undefined;
      if (original !== undefined) {
        avatarSha256 =
          original && network.capabilities.avatar
            ? await renditionFor(db, original, account.networkId, network.capabilities.avatar)
            : null;
      }
      const versions = (fields: readonly TProfileField[]): TFieldVersions =>
        Object.fromEntries(fields.map((field) => [field, desired.fieldVersions[field]]));
      write = {
        versions: versions(owed),
        hashes: hashesOf({ ...text, ...(avatarSha256 !== undefined ? { avatarSha256 } : {}) }),
        keys: {
          profile: writeKeyOf({
            accountId,
            epoch: account.syncEpoch,
            part: "profile",
            versions: versions(owed.filter((f) => f !== "avatar")),
          }),
          avatar: writeKeyOf({
            accountId,
            epoch: account.syncEpoch,
            part: "avatar",
            versions: versions(owed.filter((f) => f === "avatar")),
          }),
        },
        text,
        ...(avatarSha256 !== undefined ? { avatarSha256 } : {}),
      };
    }
    const settings: TMappedSettings = { ...write.text };
    if (write.avatarSha256 !== undefined) {
      const image = write.avatarSha256 ? await db.avatar.findUnique({ where: { sha256: write.avatarSha256 } }) : null;
      settings.avatar = image ? { bytes: Buffer.from(image.data), contentType: image.contentType } : null;
    }

    let credentials;
    try {
      credentials = openCredentials(keyring, account);
    } catch (error) {
      logError(`account ${accountId} credentials`, error);
      const reason = "The saved password could not be read. Link the account again.";
      return {
        end: { state: "dead", error: reason },
        record: async (tx) => {
          await tx.linkedAccount.updateMany({
            where: { id: accountId, credentials: account.credentials },
            data: { status: "NEEDS_REAUTH" },
          });
          await markOpenDeliveries(tx, accountId, { state: "FAILED", lastError: reason });
        },
      };
    }

    // The write is pending from here until its answer is recorded: fenced by the lease.
    const marked = await db.$transaction(async (tx) => {
      const count = await tx.$executeRaw`
        UPDATE linked_accounts SET pending_write = ${JSON.stringify(write)}::jsonb
        WHERE id = ${accountId}::uuid AND lease_token = ${job.leaseToken}::uuid`;
      if (count === 1) await markOpenDeliveries(tx, accountId, { state: "SENDING" });
      return count === 1;
    });
    if (!marked) return { end: { state: "retry", delayMs: 0, error: "lease lost" } };

    try {
      const { marks } = await connector.apply(credentials, settings, { idempotencyKeys: write.keys, signal });
      const sent: TObserved = {};
      for (const field of Object.keys(write.versions) as TProfileField[]) {
        sent[field] = { v: write.versions[field] ?? 0, h: write.hashes[field] ?? null, m: marks[field] ?? null };
      }
      return {
        end: { state: "done" },
        record: (tx) => recordSent(tx, { userId: account.userId, accountId, sent, sync, supported }),
      };
    } catch (error) {
      const failure =
        error instanceof ConnectorError
          ? error
          : new ConnectorError("transient", "Something went wrong while sending.");
      if (!(error instanceof ConnectorError)) logError(`account ${accountId} send`, error);
      const decision = decideAfterFailure(failure, job.attempts, { baseDelayMs: retryBaseMs });
      if (decision.action === "retry") {
        const nextAttemptAt = new Date(Date.now() + decision.delayMs);
        return {
          end: { state: "retry", delayMs: decision.delayMs, error: failure.message },
          record: async (tx) => {
            await tx.linkedAccount.update({
              where: { id: accountId },
              data: { consecutiveFailures: { increment: 1 } },
            });
            await markOpenDeliveries(tx, accountId, { state: "RETRYING", lastError: failure.message, nextAttemptAt });
          },
        };
      }
      const reason = decision.isCredentialProblem
        ? `${network.displayName} no longer accepts the saved password: ${failure.message}`
        : `Gave up after ${job.attempts} attempt${job.attempts === 1 ? "" : "s"}: ${failure.message}`;
      return {
        end: { state: "dead", error: reason },
        record: async (tx) => {
          await tx.linkedAccount.update({ where: { id: accountId }, data: { consecutiveFailures: { increment: 1 } } });
          // Only the password this run used is known bad: one entered again meanwhile stays active.
          if (decision.isCredentialProblem) {
            await tx.linkedAccount.updateMany({
              where: { id: accountId, credentials: account.credentials },
              data: { status: "NEEDS_REAUTH" },
            });
          }
          await markOpenDeliveries(tx, accountId, { state: "FAILED", lastError: reason });
        },
      };
    }
  },
});
