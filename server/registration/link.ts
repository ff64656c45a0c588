/**
 * Linking an account (patent: the registration request). The vendor verifies the credentials
 * before anything is stored; only then is the account saved, its credentials encrypted.
 */
import { markDirty } from "../dispatch/queue";
import { ConnectorError, type TConnector, type TCredentials, type TVendorProfile } from "../connectors/types";
import type { TDb, TTx } from "../db";
import { lockObserved, reopenAccount } from "../dispatch/account-state";
import { storeOriginalAvatar } from "../profile/avatars";
import { currentSnapshot, lockUser, recordProfileChange, type TProfileChanges } from "../profile/update";
import { moodFromNetwork } from "../sync/map-settings";
import { hashesOf, PROFILE_LIMITS, type TObserved, type TProfileField } from "../sync/state";
import { normalizeDisplayName, profileTextProblem } from "../sync/text";
import { definitionOf } from "../connectors/registry";
import { DomainError } from "../domain-error";
import { ACCOUNT_SELECT, toAccountView, type TAccountView } from "./accounts";
import { sealCredentials } from "./credentials";
import type { TRegistrationDeps } from "./deps";

export interface TLinkInput {
  networkId: string;
  login: string;
  secret: string;
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

/** The vendor checks the credentials; its refusal or silence becomes a message for the user. */
async function verifyWithVendor(
  connector: TConnector,
  name: string,
  loginLabel: string,
  credentials: TCredentials,
): Promise<TVendorProfile> {
  try {
    return await connector.verify(credentials);
  } catch (error) {
    if (!(error instanceof ConnectorError)) throw error;
    if (error.kind === "auth") {
      throw new DomainError(
        "VENDOR_REJECTED",
        `${name} did not accept this ${loginLabel} and password. Nothing was saved.`,
        {
          field: "secret",
        },
      );
    }
    if (error.isRetriable) {
      throw new DomainError(
        "VENDOR_UNAVAILABLE",
        `${name} is not answering right now. Nothing was saved; please try again in a minute.`,
      );
    }
    throw new DomainError("VENDOR_REJECTED", `${name} refused the link: ${error.message}`);
  }
}

/** What linking did first: imported the account's profile (the portal's was empty) or sent it the portal's. */
export type TInitialSync = "imported" | "sent" | "nothing";

/** The vendor's profile in OneProfile's words, for an import; values we could not take are left out. */
async function importableProfile(db: TDb, connector: TConnector, profile: TVendorProfile): Promise<TProfileChanges> {
  // The portal's own text rule: a value it would refuse from a person is not imported either.
  const fits = (value: string | null, max: number): value is string =>
    value !== null && value !== "" && profileTextProblem("", value, max) === null;
  const changes: TProfileChanges = {};
  const { capabilities } = connector.definition;
  const displayName = profile.displayName === null ? null : normalizeDisplayName(profile.displayName);
  if (fits(displayName, PROFILE_LIMITS.displayName)) changes.displayName = displayName;
  if (fits(profile.signature, PROFILE_LIMITS.signature)) changes.signature = profile.signature;
  if (profile.mood && capabilities.mood) {
    const mood = moodFromNetwork(profile.mood, capabilities.mood);
    if (mood) {
      changes.mood = mood;
      if (fits(profile.moodText, PROFILE_LIMITS.moodText)) changes.moodText = profile.moodText;
    }
  }
  if (profile.avatarUrl) {
    try {
      changes.avatarSha256 = await storeOriginalAvatar(db, await connector.downloadAvatar(profile.avatarUrl));
    } catch {
      // The avatar is optional for an import: the rest still comes in.
    }
  }
  return changes;
}

/** The vendor's mark for every field: reports older than what the account showed at link are stale. */
function markedAtLink(profile: TVendorProfile, current: TObserved): TObserved {
  const observed: TObserved = { ...current };
  for (const field of ["avatar", "displayName", "signature", "mood"] as TProfileField[]) {
    observed[field] = { v: current[field]?.v ?? 0, h: current[field]?.h ?? null, m: profile.mark };
  }
  return observed;
}

/**
 * A newly linked account converges at once: when the person's portal profile is still empty it
 * is imported from this account (which then owes nothing); otherwise the account owes the
 * current profile and is marked dirty.
 */
async function startSync(
  tx: TTx,
  input: { userId: string; accountId: string; networkId: string; profile: TVendorProfile; imported: TProfileChanges },
): Promise<TInitialSync> {
  // Lock order: the user, the account's job (checked once the link commits), then the account.
  await lockUser(tx, input.userId);
  await markDirty(tx, [{ userId: input.userId, accountId: input.accountId }]);
  const desired = await currentSnapshot(tx, input.userId);
  if (desired.version === 0 && Object.keys(input.imported).length > 0) {
    const result = await recordProfileChange(tx, {
      userId: input.userId,
      changes: input.imported,
      source: input.networkId,
      sourceAccountId: input.accountId,
    });
    const hashes = hashesOf({
      displayName: input.profile.displayName ?? "",
      signature: input.profile.signature ?? "",
      mood: input.profile.mood,
      moodText: input.profile.moodText ?? "",
    });
    const observed: TObserved = {};
    for (const field of result?.changedFields ?? []) {
      observed[field] = { v: result!.fieldVersions[field] ?? 0, h: hashes[field] ?? null, m: input.profile.mark };
    }
    await tx.$executeRaw`UPDATE linked_accounts SET observed = ${JSON.stringify(markedAtLink(input.profile, observed))}::jsonb WHERE id = ${input.accountId}::uuid`;
    return "imported";
  }
  const current = await lockObserved(tx, input.accountId);
  await tx.$executeRaw`UPDATE linked_accounts SET observed = ${JSON.stringify(markedAtLink(input.profile, current))}::jsonb WHERE id = ${input.accountId}::uuid`;
  if (desired.version === 0) return "nothing";
  await reopenAccount(tx, { userId: input.userId, accountId: input.accountId }, { isNewLink: true });
  return "sent";
}

export async function linkAccount(
  deps: TRegistrationDeps,
  userId: string,
  input: TLinkInput,
): Promise<TAccountView & { initialSync: TInitialSync }> {
  const { db, connectors, keyring } = deps;
  const network = await db.network.findUnique({ where: { id: input.networkId } });
  const definition = definitionOf(input.networkId);
  if (!network || !definition) throw new DomainError("NOT_FOUND", "That network is not supported.");
  const name = network.displayName;
  if (definition.kind === "planned") {
    throw new DomainError("PRECONDITION_FAILED", `${name} is coming soon; it cannot be linked yet.`);
  }
  if (!network.isEnabled) {
    throw new DomainError("PRECONDITION_FAILED", `${name} is switched off at the moment; linking is not possible.`);
  }
  const connector = connectors(network.id);
  if (!connector) throw new DomainError("PRECONDITION_FAILED", `${name} cannot be linked yet.`);

  const parsedLogin = definition.loginSchema.safeParse(input.login);
  if (!parsedLogin.success) {
    throw new DomainError("BAD_INPUT", parsedLogin.error.issues[0]?.message ?? "Invalid login.", { field: "login" });
  }
  const credentials = { login: parsedLogin.data, secret: input.secret };

  const vendorProfile = await verifyWithVendor(connector, name, definition.loginForm.loginLabel, credentials);

  // Checked after the vendor's verification, so only the account's owner learns who has it.
  const existing = await db.linkedAccount.findUnique({
    where: { networkId_login: { networkId: network.id, login: credentials.login } },
    select: { userId: true },
  });
  if (existing) {
    throw new DomainError(
      "CONFLICT",
      existing.userId === userId
        ? `This ${name} account is already linked.`
        : `This ${name} account is already linked to another OneProfile user.`,
      { field: "login" },
    );
  }

  const sealed = sealCredentials(keyring, network.id, credentials);
  const isPortalEmpty = (await currentSnapshot(db, userId)).version === 0;
  const imported = isPortalEmpty ? await importableProfile(db, connector, vendorProfile) : {};
  try {
    const { row, initialSync } = await db.$transaction(async (tx) => {
      await lockUser(tx, userId);
      const created = await tx.linkedAccount.create({
        data: {
          userId,
          networkId: network.id,
          login: credentials.login,
          credentials: sealed,
          credentialsKeyId: keyring.current.id,
          verifiedAt: new Date(),
        },
        select: ACCOUNT_SELECT,
      });
      await tx.auditEvent.create({
        data: {
          actorId: userId,
          action: "account.link",
          targetType: "linked_account",
          targetId: created.id,
          details: { networkId: network.id, login: credentials.login },
        },
      });
      const initialSync = await startSync(tx, {
        userId,
        accountId: created.id,
        networkId: network.id,
        profile: vendorProfile,
        imported,
      });
      return { row: created, initialSync };
    });
    return { ...toAccountView(row), initialSync };
  } catch (error) {
    if (isUniqueViolation(error))
      throw new DomainError("CONFLICT", `This ${name} account is already linked.`, { field: "login" });
    throw error;
  }
}

/**
 * Signing an account in again after the network stopped accepting its saved password: the
 * network checks the new one first; then the account is active again, with its settings and
 * history kept.
 */
export async function relinkAccount(
  deps: TRegistrationDeps,
  userId: string,
  accountId: string,
  secret: string,
): Promise<TAccountView> {
  const { db, connectors, keyring } = deps;
  const account = await db.linkedAccount.findFirst({ where: { id: accountId, userId }, include: { network: true } });
  if (!account) throw new DomainError("NOT_FOUND", "That linked account does not exist.");
  const definition = definitionOf(account.networkId);
  const connector = connectors(account.networkId);
  const name = account.network.displayName;
  if (!definition || !connector || !account.network.isEnabled) {
    throw new DomainError("PRECONDITION_FAILED", `${name} is switched off at the moment; try again later.`);
  }
  const credentials = { login: account.login, secret };
  await verifyWithVendor(connector, name, definition.loginForm.loginLabel, credentials);
  // Active again: it owes the current profile, whatever it was sent before.
  const row = await db.$transaction(async (tx) => {
    // Lock order (server/dispatch/define-job.ts): the user, the account's job, then the account.
    await lockUser(tx, userId);
    await markDirty(tx, [{ userId, accountId }]);
    const updated = await tx.linkedAccount.update({
      where: { id: accountId },
      data: {
        credentials: sealCredentials(keyring, account.networkId, credentials),
        credentialsKeyId: keyring.current.id,
        status: "ACTIVE",
        consecutiveFailures: 0,
        verifiedAt: new Date(),
      },
      select: ACCOUNT_SELECT,
    });
    await tx.auditEvent.create({
      data: { actorId: userId, action: "account.relink", targetType: "linked_account", targetId: accountId },
    });
    await reopenAccount(tx, { userId, accountId });
    return updated;
  });
  return toAccountView(row);
}
