/**
 * A network switched on again: every active account of it owes the current profile (reopenAccounts).
 * A network may have 100,000 accounts, too many for one transaction (it would lock every person at
 * once) or one request, so they are reopened in chunks in account id order, each chunk in a
 * transaction of its own that also moves the network's cursor (`networks.reopen_cursor`) past it. A
 * crash between chunks loses nothing: the next call goes on from the cursor. The admin's switch
 * does the first chunks at once (a small network is done before the answer); the worker's sweep
 * does the rest.
 *
 * Locks: the network row FOR NO KEY UPDATE SKIP LOCKED (two workers never take the same chunk, and
 * it does not block the key-share locks that linking and fan-out take on it), then reopenAccounts'
 * order (users, jobs, accounts). Switching the network off clears the cursor.
 */
import type { TDb } from "../db";
import { reopenAccounts } from "./account-state";

export const REOPEN_CHUNK_SIZE = 500;
/** Before the first account id. */
export const REOPEN_FROM_START = "00000000-0000-0000-0000-000000000000";

/**
 * Reopens the next chunk of one network being switched on; returns how many accounts it passed
 * (active or not), or null when no network has any left (or another worker holds the one that has).
 */
export async function reopenNextChunk(db: TDb, chunkSize = REOPEN_CHUNK_SIZE): Promise<number | null> {
  return db.$transaction(async (tx) => {
    const [network] = await tx.$queryRaw<{ id: string; cursor: string }[]>`
      SELECT id, reopen_cursor::text AS cursor FROM networks
      WHERE reopen_cursor IS NOT NULL AND is_enabled
      ORDER BY id LIMIT 1
      FOR NO KEY UPDATE SKIP LOCKED`;
    if (!network) return null;
    const accounts = await tx.$queryRaw<{ id: string; userId: string; isActive: boolean }[]>`
      SELECT id::text AS id, user_id::text AS "userId", (status = 'ACTIVE' AND paused_at IS NULL) AS "isActive"
      FROM linked_accounts
      WHERE network_id = ${network.id} AND id > ${network.cursor}::uuid
      ORDER BY id LIMIT ${chunkSize}`;
    await reopenAccounts(
      tx,
      accounts
        .filter((account) => account.isActive)
        .map((account) => ({ userId: account.userId, accountId: account.id })),
    );
    const next = accounts.length < chunkSize ? null : accounts.at(-1)!.id;
    await tx.$executeRaw`UPDATE networks SET reopen_cursor = ${next}::uuid WHERE id = ${network.id}`;
    return accounts.length;
  });
}

/**
 * Reopens chunks until none is left or `budgetMs` has passed (the rest waits for the next call);
 * returns how many accounts it passed.
 */
export async function reopenSwitchedOnNetworks(
  db: TDb,
  options: { budgetMs: number; chunkSize?: number },
): Promise<number> {
  const deadline = Date.now() + options.budgetMs;
  let passed = 0;
  for (;;) {
    const count = await reopenNextChunk(db, options.chunkSize);
    if (count === null) return passed;
    passed += count;
    if (Date.now() >= deadline) return passed;
  }
}
