/** Sealing and opening a linked account's credentials. The secret never leaves the server. */
import { decryptSecret, encryptSecret, type TKeyring } from "../crypto/secrets";
import type { TCredentials } from "../connectors/types";

/** Binds a ciphertext to its account, so it cannot be moved to another row. */
function associatedData(networkId: string, login: string): string {
  return `linked-account:${networkId}:${login}`;
}

export function sealCredentials(keyring: TKeyring, networkId: string, credentials: TCredentials): string {
  return encryptSecret(
    keyring,
    JSON.stringify({ secret: credentials.secret }),
    associatedData(networkId, credentials.login),
  );
}

export function openCredentials(
  keyring: TKeyring,
  account: { networkId: string; login: string; credentials: string },
): TCredentials {
  const { secret } = JSON.parse(
    decryptSecret(keyring, account.credentials, associatedData(account.networkId, account.login)),
  ) as { secret: string };
  return { login: account.login, secret };
}
