/**
 * The worker's clients, one per linked account in use (mautrix bridgev2 keeps a NetworkAPI per
 * login the same way): opened on first use, kept while the account is used so a session or a
 * connection is not opened again for every job, replaced when the stored credentials change (the
 * person signed in again), closed when the account is unlinked or the bound is reached (least
 * recently used first). A client's refreshed credentials are written back encrypted.
 */
import type { TConnectorResolver } from "../connectors/registry";
import type { TAccountClient, TCredentials } from "../connectors/types";
import type { TKeyring } from "../crypto/secrets";
import type { TDb } from "../db";
import { logError } from "../log";
import { saveRefreshedCredentials } from "../registration/credentials";

/** The most clients one worker keeps open; beyond it the least recently used is closed. */
export const DEFAULT_MAX_CLIENTS = 2_000;

export interface TClientAccount {
  id: string;
  networkId: string;
  login: string;
  /** The sealed credentials as stored. */
  credentials: string;
}

export interface TClientPool {
  /** The account's client (null: its network has no connector). `credentials` are the opened ones. */
  clientOf(account: TClientAccount, credentials: TCredentials): TAccountClient | null;
  /**
   * Closes the clients of accounts that were unlinked or need the person to sign in again (the
   * reconcile sweep asks): nothing stays signed in to an account OneProfile no longer acts for.
   * Returns how many were closed.
   */
  releaseUnused(): Promise<number>;
  closeAll(): Promise<void>;
  /** The sealed credentials an account's client holds now (they change when it writes a session back). */
  sealedOf(accountId: string): string | undefined;
  /** How many clients are open. */
  readonly size: number;
}

interface TEntry {
  client: TAccountClient;
  /** The sealed credentials the client was opened with, or last wrote back. */
  sealed: string;
}

/**
 * The stored credentials a refused password applies to: those the run opened, and those its client
 * wrote back since (a renewed or dropped session). A password entered again meanwhile is neither.
 */
export function refusedCredentialsOf(clients: TClientPool, account: { id: string; credentials: string }): string[] {
  const current = clients.sealedOf(account.id);
  return current && current !== account.credentials ? [account.credentials, current] : [account.credentials];
}

export function createClientPool(deps: {
  db: TDb;
  keyring: TKeyring;
  connectors: TConnectorResolver;
  maxClients?: number;
}): TClientPool {
  // A Map keeps insertion order: re-inserting on use makes its first key the least recently used.
  const entries = new Map<string, TEntry>();
  const maxClients = deps.maxClients ?? DEFAULT_MAX_CLIENTS;

  const closeEntry = (accountId: string, entry: TEntry) => {
    entries.delete(accountId);
    return entry.client.close().catch((error: unknown) => logError(`account ${accountId} client close`, error));
  };

  return {
    clientOf(account, credentials) {
      const existing = entries.get(account.id);
      if (existing && existing.sealed === account.credentials) {
        entries.delete(account.id);
        entries.set(account.id, existing);
        return existing.client;
      }
      if (existing) void closeEntry(account.id, existing);
      const connector = deps.connectors(account.networkId);
      if (!connector) return null;
      const entry: TEntry = { sealed: account.credentials, client: undefined as unknown as TAccountClient };
      entry.client = connector.client({
        credentials,
        async saveCredentials(next) {
          const stored = { ...account, credentials: entry.sealed };
          const sealed = await saveRefreshedCredentials(deps.db, deps.keyring, stored, next);
          if (sealed) entry.sealed = sealed;
        },
      });
      entries.set(account.id, entry);
      while (entries.size > maxClients) {
        const [oldestId, oldest] = entries.entries().next().value as [string, TEntry];
        void closeEntry(oldestId, oldest);
      }
      return entry.client;
    },
    async releaseUnused() {
      const seen = [...entries];
      if (seen.length === 0) return 0;
      const used = await deps.db.linkedAccount.findMany({
        where: { id: { in: seen.map(([id]) => id) }, status: "ACTIVE" },
        select: { id: true },
      });
      const kept = new Set(used.map((row) => row.id));
      // Only the clients seen before the query: one opened since (the account linked again) is new.
      const unused = seen.filter(([id, entry]) => !kept.has(id) && entries.get(id) === entry);
      await Promise.all(unused.map(([id, entry]) => closeEntry(id, entry)));
      return unused.length;
    },
    sealedOf(accountId) {
      return entries.get(accountId)?.sealed;
    },
    async closeAll() {
      await Promise.all([...entries].map(([accountId, entry]) => closeEntry(accountId, entry)));
    },
    get size() {
      return entries.size;
    },
  };
}
