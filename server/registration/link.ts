/**
 * Linking an account (patent: the registration request). The vendor verifies the credentials
 * before anything is stored; only then is the account saved, its credentials encrypted.
 */
import { ConnectorError, type TConnector, type TCredentials } from "../connectors/types";
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
async function verifyWithVendor(connector: TConnector, name: string, loginLabel: string, credentials: TCredentials) {
  try {
    await connector.verify(credentials);
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

export async function linkAccount(deps: TRegistrationDeps, userId: string, input: TLinkInput): Promise<TAccountView> {
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

  await verifyWithVendor(connector, name, definition.loginForm.loginLabel, credentials);

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
  try {
    const row = await db.$transaction(async (tx) => {
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
      return created;
    });
    return toAccountView(row);
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
  const [row] = await db.$transaction([
    db.linkedAccount.update({
      where: { id: accountId },
      data: {
        credentials: sealCredentials(keyring, account.networkId, credentials),
        credentialsKeyId: keyring.current.id,
        status: "ACTIVE",
        consecutiveFailures: 0,
        verifiedAt: new Date(),
      },
      select: ACCOUNT_SELECT,
    }),
    db.auditEvent.create({
      data: { actorId: userId, action: "account.relink", targetType: "linked_account", targetId: accountId },
    }),
  ]);
  return toAccountView(row);
}
