/**
 * The monitor's watches: for networks that push over a connection of the account's own (XMPP), the
 * worker keeps one watching client per linked account, and records what it pushes as webhook events
 * are recorded (./receive-webhook.ts), so the same inbound path judges it.
 *
 * - Which accounts: active (network on, not paused, not needing re-auth, able to show a field) on a
 *   network whose connector's feed is a watch; looked up every `everyMs`, so an unlinked or paused account's
 *   watch ends within that time, and a new one starts.
 * - One worker per account: a watch holds a Postgres advisory lock on the account (on one connection
 *   per worker), taken with pg_try_advisory_lock, so with several workers each account is watched by
 *   exactly one, and a crashed worker's accounts are taken over once its connection is gone
 *   (docs/scaling.md).
 * - Bounded: at most `maxWatches` per worker; beyond it an account is read back periodically.
 * - A watch that ends (connection lost, server restarted) starts again after a backoff; every start
 *   asks for a read-back of the account, so a change made while nobody watched is not missed.
 */
import pg from "pg";
import { Prisma } from "../generated/prisma/client";
import type { TConnectorResolver } from "../connectors/registry";
import type { TKeyring } from "../crypto/secrets";
import type { TDb } from "../db";
import { requestReadBack } from "../dispatch/queue";
import { logError, logger } from "../log";
import { openCredentials, saveRefreshedCredentials } from "../registration/credentials";
import { recordInboundEvent } from "./receive-webhook";

export const DEFAULT_MAX_WATCHES = 1_000;
const MAX_BACKOFF_MS = 60_000;

export interface TWatcherOptions {
  db: TDb;
  databaseUrl: string;
  connectors: TConnectorResolver;
  keyring: TKeyring;
  everyMs?: number;
  maxWatches?: number;
}

interface TWatch {
  controller: AbortController;
  done: Promise<void>;
  /** The connection that holds its lock: unlocked there only, never on a newer one. */
  lockedOn: pg.Client;
  /** The sealed credentials it was started with: a re-link restarts it with the new ones. */
  credentials: string;
}

export interface TWatcher {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The accounts this worker watches now. */
  readonly watching: ReadonlySet<string>;
}

export function createWatcher(options: TWatcherOptions): TWatcher {
  const { db, connectors, keyring } = options;
  const watchedNetworks = (ids: string[]) => ids.filter((id) => connectors(id)?.feed.kind === "watch");
  const watches = new Map<string, TWatch>();
  let locks: pg.Client | null = null;
  let timer: NodeJS.Timeout | null = null;
  let isRunning = false;
  let reconciling: Promise<void> = Promise.resolve();

  /**
   * The connection holding this worker's locks, opened when there is something to watch. When it
   * drops (Postgres restarted), its locks are gone with it: every watch stops, and the next look
   * takes the locks again on a new connection.
   */
  async function lockConnection(): Promise<pg.Client> {
    if (locks) return locks;
    const client = new pg.Client({ connectionString: options.databaseUrl });
    const gone = () => {
      if (locks !== client) return;
      locks = null;
      for (const accountId of [...watches.keys()]) void stopWatch(accountId);
      void client.end().catch(() => {});
    };
    client.on("error", gone);
    client.on("end", gone);
    await client.connect();
    locks = client;
    return client;
  }

  async function lock(accountId: string): Promise<boolean> {
    const result = await (
      await lockConnection()
    ).query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtextextended('watch:' || $1, 0)) AS locked", [
      accountId,
    ]);
    return result.rows[0]?.locked === true;
  }

  /** Releases a lock on the connection that took it; one already gone took its locks with it. */
  async function unlock(accountId: string, lockedOn: pg.Client): Promise<void> {
    if (locks !== lockedOn) return;
    await lockedOn.query("SELECT pg_advisory_unlock(hashtextextended('watch:' || $1, 0))", [accountId]).catch(() => {});
  }

  function startWatch(account: { id: string; userId: string; networkId: string; login: string; credentials: string }) {
    const controller = new AbortController();
    const connector = connectors(account.networkId)!;
    const lockedOn = locks!;
    const done = (async () => {
      let backoffMs = 1_000;
      while (!controller.signal.aborted) {
        const startedAt = Date.now();
        let sealed = account.credentials;
        let client;
        try {
          client = connector.client({
            credentials: openCredentials(keyring, account),
            async saveCredentials(next) {
              sealed =
                (await saveRefreshedCredentials(db, keyring, { ...account, credentials: sealed }, next)) ?? sealed;
            },
          });
        } catch (error) {
          // Unreadable credentials: not watched (its sync job says so to the person); never a crash.
          logError(`account ${account.id} watch credentials`, error);
          return;
        }
        try {
          // What changed while nobody watched is found by a read-back; the watch takes it from here.
          await requestReadBack(db, [{ userId: account.userId, accountId: account.id }]);
          await client.watch!(async (event) => {
            await recordInboundEvent(db, {
              networkId: account.networkId,
              id: event.id,
              login: account.login,
              payload: event.payload,
            });
          }, controller.signal);
        } catch (error) {
          if (!controller.signal.aborted) logError(`account ${account.id} watch`, error);
        } finally {
          await client.close().catch(() => {});
        }
        if (controller.signal.aborted) break;
        // Ended by itself (the server went away): again after a backoff, longer when it ends at once.
        backoffMs = Date.now() - startedAt > MAX_BACKOFF_MS ? 1_000 : Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        // Jittered: when a server restarts, its accounts' watches do not all come back at once.
        const waitMs = Math.round(backoffMs * (0.5 + Math.random()));
        await new Promise<void>((resolve) => {
          const wait = setTimeout(resolve, waitMs);
          controller.signal.addEventListener("abort", () => (clearTimeout(wait), resolve()), { once: true });
        });
      }
    })().catch((error: unknown) => logError(`account ${account.id} watch`, error));
    watches.set(account.id, { controller, done, lockedOn, credentials: account.credentials });
  }

  async function stopWatch(accountId: string): Promise<void> {
    const watch = watches.get(accountId);
    if (!watch) return;
    watches.delete(accountId);
    watch.controller.abort();
    await watch.done;
    await unlock(accountId, watch.lockedOn);
  }

  async function reconcile(): Promise<void> {
    const networks = watchedNetworks((await db.network.findMany({ select: { id: true } })).map((n) => n.id));
    const wanted =
      networks.length === 0
        ? []
        : await db.linkedAccount.findMany({
            where: {
              networkId: { in: networks },
              status: "ACTIVE",
              pausedAt: null,
              network: { isEnabled: true },
              // An account that can show nothing (an XMPP server without PEP) has nothing to watch, and
              // its server refuses the watch at once: not retried every minute. Its read-back finds
              // when it can show fields again, and then it is watched.
              OR: [{ capabilities: { equals: Prisma.DbNull } }, { NOT: { capabilities: { equals: {} } } }],
            },
            select: { id: true, userId: true, networkId: true, login: true, credentials: true },
            orderBy: { id: "asc" },
          });
    const wantedById = new Map(wanted.map((account) => [account.id, account]));
    for (const [accountId, watch] of [...watches]) {
      // Unlinked, paused or off: stopped. Signed in again (new credentials): started again with them.
      if (wantedById.get(accountId)?.credentials !== watch.credentials) await stopWatch(accountId);
    }
    for (const account of wanted) {
      if (!isRunning || watches.size >= (options.maxWatches ?? DEFAULT_MAX_WATCHES)) break;
      if (watches.has(account.id) || !(await lock(account.id))) continue;
      startWatch(account);
    }
  }

  const tick = () => {
    reconciling = reconciling
      .then(() => (isRunning ? reconcile() : undefined))
      .catch((error: unknown) => logError("watch reconcile", error));
  };

  return {
    get watching() {
      return new Set(watches.keys());
    },
    async start() {
      isRunning = true;
      // The first look is done when start() returns: the watches it could take are running.
      tick();
      await reconciling;
      timer = setInterval(tick, options.everyMs ?? 5_000);
      logger.debug("watches started");
    },
    async stop() {
      isRunning = false;
      if (timer) clearInterval(timer);
      await reconciling;
      await Promise.all([...watches.keys()].map((accountId) => stopWatch(accountId)));
      const client = locks;
      locks = null;
      await client?.end().catch(() => {});
    },
  };
}
