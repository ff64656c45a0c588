/** Sealing and opening a linked account's credentials. The secret never leaves the server. */
import { decryptSecret, encryptSecret, type TKeyring } from "../crypto/secrets";
import type { TCredentials } from "../connectors/types";
import type { TDb } from "../db";

/** Binds a ciphertext to its account, so it cannot be moved to another row. */
function associatedData(networkId: string, login: string): string {
  return `linked-account:${networkId}:${login}`;
}

export function sealCredentials(keyring: TKeyring, networkId: string, credentials: TCredentials): string {
  const { login: _login, ...sealed } = credentials;
  return encryptSecret(keyring, JSON.stringify(sealed), associatedData(networkId, credentials.login));
}

export function openCredentials(
  keyring: TKeyring,
  account: { networkId: string; login: string; credentials: string },
): TCredentials {
  const sealed = JSON.parse(
    decryptSecret(keyring, account.credentials, associatedData(account.networkId, account.login)),
  ) as Omit<TCredentials, "login">;
  return { ...sealed, login: account.login };
}

/**
 * Writes back credentials a client refreshed (a new session token), sealed with the current key,
 * unless the stored ones changed meanwhile (the person signed in again: theirs win). Returns the
 * new ciphertext, or null when it was not written.
 */
export async function saveRefreshedCredentials(
  db: TDb,
  keyring: TKeyring,
  account: { id: string; networkId: string; login: string; credentials: string },
  next: TCredentials,
): Promise<string | null> {
  const sealed = sealCredentials(keyring, account.networkId, next);
  const written = await db.linkedAccount.updateMany({
    where: { id: account.id, credentials: account.credentials },
    data: { credentials: sealed, credentialsKeyId: keyring.current.id },
  });
  return written.count === 1 ? sealed : null;
}
