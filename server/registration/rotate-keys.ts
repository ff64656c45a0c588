import type { TKeyring } from "../crypto/secrets";
import type { TDb } from "../db";
import { openCredentials, sealCredentials } from "./credentials";

const BATCH = 200;

/**
 * Re-encrypts every linked account's credentials that an older key sealed, with the current
 * key. Safe to run while the portal is up: a row changed meanwhile is left for the next run.
 * Returns how many rows it re-encrypted.
 */
export async function rotateCredentialKeys(db: TDb, keyring: TKeyring): Promise<number> {
  let rotated = 0;
  let cursor: string | undefined;
  for (;;) {
    const rows = await db.linkedAccount.findMany({
      where: { credentialsKeyId: { not: keyring.current.id }, ...(cursor ? { id: { gt: cursor } } : {}) },
      orderBy: { id: "asc" },
      take: BATCH,
      select: { id: true, networkId: true, login: true, credentials: true },
    });
    if (rows.length === 0) return rotated;
    for (const row of rows) {
      const sealed = sealCredentials(keyring, row.networkId, openCredentials(keyring, row));
      const { count } = await db.linkedAccount.updateMany({
        where: { id: row.id, credentials: row.credentials },
        data: { credentials: sealed, credentialsKeyId: keyring.current.id },
      });
      rotated += count;
    }
    cursor = rows[rows.length - 1]!.id;
  }
}
