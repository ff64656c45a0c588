import { DecryptionError, type TKeyring } from "../crypto/secrets";
import type { TDb } from "../db";
import { openCredentials, sealCredentials } from "./credentials";

const BATCH = 200;
/** The most account ids the message names per reason; the error's `unreadable` holds them all. */
export const IDS_PER_REASON = 20;

export interface TUnreadableRow {
  accountId: string;
  /** Why, without the data: the key is not configured, or the data was damaged. */
  reason: string;
}

const plural = (count: number) => `${count} account${count === 1 ? "" : "s"}`;

/** One line per reason with its count, then the ids of its first IDS_PER_REASON accounts (in id order). */
function describeUnreadable(unreadable: readonly TUnreadableRow[]): string[] {
  const byReason = new Map<string, string[]>();
  for (const row of unreadable) {
    if (!byReason.has(row.reason)) byReason.set(row.reason, []);
    byReason.get(row.reason)!.push(row.accountId);
  }
  // The most common reason first.
  const groups = [...byReason].sort(([, a], [, b]) => b.length - a.length);
  return groups.flatMap(([reason, ids]) => [
    `  ${plural(ids.length)}: ${reason}`,
    ...ids.slice(0, IDS_PER_REASON).map((id) => `    account ${id}`),
    ...(ids.length > IDS_PER_REASON ? [`    … and ${ids.length - IDS_PER_REASON} more`] : []),
  ]);
}

/**
 * Some rows could not be decrypted: they were left as they were, and every other row was
 * rotated. Says why, with how many accounts for each reason and the first ones' ids, never their
 * data; `unreadable` lists every one.
 */
export class KeyRotationError extends Error {
  readonly rotated: number;
  readonly unreadable: readonly TUnreadableRow[];

  constructor(keyId: string, rotated: number, unreadable: readonly TUnreadableRow[]) {
    super(
      [
        `Re-encrypted ${rotated} account${rotated === 1 ? "" : "s"} with key "${keyId}"; ` +
          `${unreadable.length} could not be decrypted and ${unreadable.length === 1 ? "was" : "were"} left unchanged:`,
        ...describeUnreadable(unreadable),
        "Add the key that sealed them to ONEPROFILE_ENCRYPTION_OLD_KEYS and run again, or have their owners link them again.",
      ].join("\n"),
    );
    this.name = "KeyRotationError";
    this.rotated = rotated;
    this.unreadable = unreadable;
  }
}

/**
 * Re-encrypts every linked account's credentials that an older key sealed, with the current
 * key. Safe to run while the portal is up: a row changed meanwhile is left for the next run.
 * Returns how many rows it re-encrypted. A row that cannot be decrypted does not stop the others:
 * they are all rotated first, then a KeyRotationError names the rows left behind.
 */
export async function rotateCredentialKeys(db: TDb, keyring: TKeyring): Promise<number> {
  let rotated = 0;
  const unreadable: TUnreadableRow[] = [];
  let cursor: string | undefined;
  for (;;) {
    const rows = await db.linkedAccount.findMany({
      where: { credentialsKeyId: { not: keyring.current.id }, ...(cursor ? { id: { gt: cursor } } : {}) },
      orderBy: { id: "asc" },
      take: BATCH,
      select: { id: true, networkId: true, login: true, credentials: true },
    });
    if (rows.length === 0) break;
    for (const row of rows) {
      let sealed: string;
      try {
        sealed = sealCredentials(keyring, row.networkId, openCredentials(keyring, row));
      } catch (error) {
        // Only our own messages: another error's text could quote what was decrypted.
        // A key that is not configured is named in its message: one line for all its accounts.
        const reason = error instanceof DecryptionError ? error.message : "The decrypted data is not credentials.";
        unreadable.push({ accountId: row.id, reason });
        continue;
      }
      const { count } = await db.linkedAccount.updateMany({
        where: { id: row.id, credentials: row.credentials },
        data: { credentials: sealed, credentialsKeyId: keyring.current.id },
      });
      rotated += count;
    }
    cursor = rows[rows.length - 1]!.id;
  }
  if (unreadable.length > 0) throw new KeyRotationError(keyring.current.id, rotated, unreadable);
  return rotated;
}
