/**
 * Linking an account (patent: the registration request). The vendor verifies the credentials
 * before anything is stored; only then is the account saved, its credentials encrypted.
 */
import { lockUser, markDirty, requestReadBack } from "../dispatch/queue";
import {
  ConnectorError,
  type TAccountClient,
  type TConnector,
  type TCredentials,
  type TNetworkDefinition,
  type TVendorProfile,
} from "../connectors/types";
import type { z } from "zod";
import type { TDb, TTx } from "../db";
import { lockObserved, reopenAccount, writeObserved } from "../dispatch/account-state";
import { reportHashes, reportOfProfile } from "../dispatch/observe-account";
import { adoptRendition, storeOriginalAvatar } from "../profile/avatars";
import { currentSnapshot, recordProfileChange, type TProfileChanges } from "../profile/update";
import { moodFromNetwork } from "../sync/map-settings";
import { observe, PROFILE_FIELDS, PROFILE_LIMITS, type TFieldVersions, type TObserved } from "../sync/state";
import { normalizeDisplayName, profileTextProblem } from "../sync/text";
import { definitionOf } from "../connectors/registry";
import { DomainError } from "../domain-error";
import { recordAudit } from "../data/audit";
import { ACCOUNT_SELECT, toAccountView, type TAccountView } from "./accounts";
import { ownCapabilities, renditionKeyOf } from "./network-view";
import { openCredentials, sealCredentials } from "./credentials";
import type { TKeyring } from "../crypto/secrets";
import type { TRegistrationDeps } from "./deps";

export interface TLinkInput {
  networkId: string;
  login: string;
  secret: string;
  /** Where the account lives, for a login form that asks (TLoginForm.server). */
  server?: string;
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

/**
 * A client for an account being linked: its credentials are not stored yet, so what it refreshes
 * (a session opened by verify) is kept here and stored with the link.
 */
function linkingClient(connector: TConnector, credentials: TCredentials) {
  const held = { credentials };
  const client = connector.client({
    credentials,
    saveCredentials: async (next) => {
      held.credentials = next;
    },
  });
  return { client, held };
}

/** The vendor checks the credentials; its refusal or silence becomes a message for the user. */
async function verifyWithVendor(client: TAccountClient, name: string, loginLabel: string): Promise<TVendorProfile> {
  try {
    return await client.verify();
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
async function importableProfile(
  db: TDb,
  connector: TConnector,
  client: TAccountClient,
  profile: TVendorProfile,
): Promise<TProfileChanges> {
  // The portal's own text rule: a value it would refuse from a person is not imported either.
  const fits = (value: string | null, max: number): value is string =>
    value !== null && value !== "" && profileTextProblem("", value, max) === null;
  const changes: TProfileChanges = {};
  const { definition } = connector;
  const capabilities = ownCapabilities(definition.capabilities, profile.capabilities) ?? definition.capabilities;
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
  if (profile.avatar) {
    try {
      const bytes = await client.downloadAvatar(profile.avatar.url);
      changes.avatarSha256 = await storeOriginalAvatar(db, bytes);
      // The account shows its own picture: that is its rendition of the imported original.
      await adoptRendition(db, {
        sourceSha256: changes.avatarSha256,
        renditionKey: renditionKeyOf(definition.id, capabilities, definition.capabilities),
        bytes,
      });
    } catch {
      // The avatar is optional for an import: the rest still comes in.
    }
  }
  return changes;
}

/**
 * What `verify` showed, as the account's first observation (server/sync/state.ts): every field's
 * value and the vendor's mark. A field the person never set is left as it is there (`t`); an
 * imported one shows the version it became.
 */
function observedAtLink(
  login: string,
  profile: TVendorProfile,
  versions: { imported: TFieldVersions; set: TFieldVersions },
): TObserved {
  const report = reportOfProfile(login, profile);
  const { observed } = observe({}, { kind: "answer", hashes: reportHashes(report), marks: markOf(profile) });
  for (const field of PROFILE_FIELDS) {
    const shown = observed[field]!;
    if ((versions.imported[field] ?? 0) > 0) observed[field] = { ...shown, v: versions.imported[field]! };
    else if ((versions.set[field] ?? 0) === 0 && shown.h !== null) observed[field] = { ...shown, t: shown.h };
  }
  return observed;
}

const markOf = (profile: TVendorProfile) =>
  Object.fromEntries(PROFILE_FIELDS.map((field) => [field, profile.fieldMarks?.[field] ?? profile.mark]));

/**
 * A newly linked account converges at once: when the person's portal profile is still empty it
 * is imported from this account (which then owes nothing); otherwise the account owes what differs
 * from the current profile and is marked dirty. Either way it is read back once the link commits: a
 * change made there while it was being linked (whose report found no linked account) is taken then.
 */
async function startSync(
  tx: TTx,
  input: {
    userId: string;
    accountId: string;
    networkId: string;
    login: string;
    profile: TVendorProfile;
    imported: TProfileChanges;
  },
): Promise<TInitialSync> {
  // Lock order: the user, the account's jobs (run once the link commits), then the account.
  await lockUser(tx, input.userId);
  const account = [{ userId: input.userId, accountId: input.accountId }];
  await markDirty(tx, account);
  await requestReadBack(tx, account);
  const desired = await currentSnapshot(tx, input.userId);
  const isImport = desired.version === 0 && Object.keys(input.imported).length > 0;
  const result = isImport
    ? await recordProfileChange(tx, {
        userId: input.userId,
        changes: input.imported,
        source: input.networkId,
        sourceAccountId: input.accountId,
      })
    : null;
  await lockObserved(tx, input.accountId);
  const observed = observedAtLink(input.login, input.profile, {
    imported: result?.fieldVersions ?? {},
    set: result?.fieldVersions ?? desired.fieldVersions,
  });
  await writeObserved(tx, new Map([[input.accountId, observed]]), { isConfirmedWrite: false });
  if (isImport) return "imported";
  if (desired.version === 0) return "nothing";
  // An entry for the latest change, so Activity shows what the new account is sent (if anything).
  await reopenAccount(tx, { userId: input.userId, accountId: input.accountId });
  return "sent";
}

/** The login form's answer as credentials, each part checked by its network's schema. */
function credentialsOf(
  connector: TConnector,
  definition: TNetworkDefinition,
  input: Omit<TLinkInput, "networkId">,
): TCredentials {
  const [flow] = definition.loginFlows;
  const problem = (field: string, error: z.ZodError, fallback: string) =>
    new DomainError("BAD_INPUT", error.issues[0]?.message ?? fallback, { field });
  const login = flow.loginSchema.safeParse(input.login);
  if (!login.success) throw problem("login", login.error, "Invalid login.");
  let server: string | undefined;
  if (input.server) {
    if (!flow.serverSchema) {
      throw new DomainError("BAD_INPUT", `${definition.displayName} accounts are linked without a server.`, {
        field: "server",
      });
    }
    const parsed = flow.serverSchema.safeParse(input.server);
    if (!parsed.success) throw problem("server", parsed.error, "Invalid server.");
    server = parsed.data;
  }
  const credentials = connector.credentialsSchema.safeParse({
    login: login.data,
    secret: input.secret,
    ...(server ? { server } : {}),
  });
  if (!credentials.success) {
    throw problem(String(credentials.error.issues[0]?.path[0] ?? "secret"), credentials.error, "Invalid password.");
  }
  return credentials.data;
}

export async function linkAccount(
  deps: TRegistrationDeps,
  userId: string,
  input: TLinkInput,
): Promise<TAccountView & { initialSync: TInitialSync }> {
  const { db, connectors } = deps;
  const network = await db.network.findUnique({ where: { id: input.networkId } });
  const definition = definitionOf(input.networkId);
  if (!network || !definition) throw new DomainError("NOT_FOUND", "That network is not supported.");
  const name = network.displayName;
  if (!network.hasConnector) {
    throw new DomainError("PRECONDITION_FAILED", `${name} is coming soon; it cannot be linked yet.`);
  }
  if (!network.isEnabled) {
    throw new DomainError("PRECONDITION_FAILED", `${name} is switched off at the moment; linking is not possible.`);
  }
  const connector = connectors(network.id);
  if (!connector) throw new DomainError("PRECONDITION_FAILED", `${name} cannot be linked yet.`);

  const { client, held } = linkingClient(connector, credentialsOf(connector, definition, input));
  try {
    return await linkVerified(deps, userId, { network, connector, client, held });
  } finally {
    await client.close();
  }
}

async function linkVerified(
  deps: TRegistrationDeps,
  userId: string,
  input: {
    network: { id: string; displayName: string };
    connector: TConnector;
    client: TAccountClient;
    held: { credentials: TCredentials };
  },
): Promise<TAccountView & { initialSync: TInitialSync }> {
  const { db, keyring } = deps;
  const { network, connector, client, held } = input;
  const name = network.displayName;
  const vendorProfile = await verifyWithVendor(client, name, connector.definition.loginFlows[0].loginLabel);
  const { credentials } = held;

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

  const own = ownCapabilities(connector.definition.capabilities, vendorProfile.capabilities);
  // With what verify refreshed (its session), as the vendor accepted them.
  const sealed = sealCredentials(keyring, network.id, held.credentials);
  const isPortalEmpty = (await currentSnapshot(db, userId)).version === 0;
  const imported = isPortalEmpty ? await importableProfile(db, connector, client, vendorProfile) : {};
  try {
    const { row, initialSync } = await db.$transaction(async (tx) => {
      await lockUser(tx, userId);
      // Support's pause of this login outlives an unlink: the new link is paused too.
      const pause = await tx.supportPause.findUnique({
        where: { networkId_login: { networkId: network.id, login: credentials.login } },
      });
      const created = await tx.linkedAccount.create({
        data: {
          userId,
          networkId: network.id,
          login: credentials.login,
          credentials: sealed,
          credentialsKeyId: keyring.current.id,
          verifiedAt: new Date(),
          pausedAt: pause?.pausedAt ?? null,
          // What this account's server can show, when less than the network's definition says.
          ...(own ? { capabilities: own } : {}),
        },
        select: ACCOUNT_SELECT,
      });
      await recordAudit(tx, {
        actorId: userId,
        subjectId: userId,
        action: "account.link",
        targetType: "linked_account",
        targetId: created.id,
        details: { networkId: network.id, login: credentials.login },
      });
      const initialSync = await startSync(tx, {
        userId,
        accountId: created.id,
        networkId: network.id,
        login: credentials.login,
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

/** What is stored for an account, or nothing when it cannot be opened (a key that is gone). */
function storedCredentials(
  keyring: TKeyring,
  account: { networkId: string; login: string; credentials: string },
): TCredentials | null {
  try {
    return openCredentials(keyring, account);
  } catch {
    return null;
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
  // The server the person named when linking stays; only the password is new. Where the saved
  // settings cannot be read (a key that is gone), the server they held is not known either.
  const stored = storedCredentials(keyring, account);
  if (stored === null && definition.loginFlows[0].serverSchema) {
    throw new DomainError(
      "PRECONDITION_FAILED",
      `The settings saved for this ${name} account (its server among them) can no longer be read. Unlink it and link it again.`,
    );
  }
  const server = stored?.server;
  const { client, held } = linkingClient(connector, { login: account.login, secret, ...(server ? { server } : {}) });
  try {
    await verifyWithVendor(client, name, definition.loginFlows[0].loginLabel);
  } finally {
    await client.close();
  }
  const { credentials } = held;
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
    await recordAudit(tx, {
      actorId: userId,
      subjectId: userId,
      action: "account.relink",
      targetType: "linked_account",
      targetId: accountId,
    });
    // What verify showed is not recorded: it was read without the account's lease, so a write of
    // ours answered meanwhile would make it look older (a false reset), and a change it shows would
    // go unjudged. The read-back reopening asks for reads it under the lease, and judges it.
    await reopenAccount(tx, { userId, accountId });
    return updated;
  });
  return toAccountView(row);
}
