/**
 * The worker: claims due deliveries and recorded network changes from Postgres and processes
 * them, N at a time. It sleeps until woken by NOTIFY (or a one-second poll), so any number of
 * workers on any number of machines coordinate through the database alone.
 */
import pg from "pg";
import { logError } from "../log";
import { processInboundEventSafely } from "../monitor/process-inbound";
import { deliverOne, type TDispatchDeps } from "./deliver";
import { claimDeliveries, claimInboundEvents, WORK_CHANNEL } from "./queue";

export interface TWorkerOptions extends TDispatchDeps {
  databaseUrl: string;
  concurrency: number;
  leaseMs: number;
  pollMs?: number;
}

export interface TWorker {
  /** One round: claim and process what is due. Returns how many items it handled. */
  runOnce(): Promise<number>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createWorker(options: TWorkerOptions): TWorker {
  const { db } = options;
  let isRunning = false;
  let wake: (() => void) | null = null;
  let listener: pg.Client | null = null;
  let loop: Promise<void> | null = null;

  async function runOnce(): Promise<number> {
    const events = await claimInboundEvents(db, options.concurrency, options.leaseMs);
    for (const id of events) await processInboundEventSafely(db, id);

    const claim = await claimDeliveries(db, options.concurrency, options.leaseMs);
    if (claim.ids.length === 0) return events.length;
    const rows = await db.delivery.findMany({
      where: { id: { in: claim.ids } },
      select: { id: true, linkedAccountId: true, version: true },
      orderBy: { version: "asc" },
    });
    // One account's deliveries go one after the other, oldest first; accounts in parallel.
    const byAccount = new Map<string, string[]>();
    for (const row of rows) byAccount.set(row.linkedAccountId, [...(byAccount.get(row.linkedAccountId) ?? []), row.id]);
    await Promise.all(
      [...byAccount.values()].map(async (ids) => {
        for (const id of ids) {
          await deliverOne(options, id, claim.leaseToken).catch((error: unknown) => logError(`delivery ${id}`, error));
        }
      }),
    );
    return events.length + rows.length;
  }

  async function sleep(ms: number) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = null;
  }

  return {
    runOnce,
    async start() {
      isRunning = true;
      listener = new pg.Client({ connectionString: options.databaseUrl });
      await listener.connect();
      listener.on("notification", () => wake?.());
      listener.on("error", (error) => logError("worker listener", error));
      await listener.query(`LISTEN ${WORK_CHANNEL}`);
      loop = (async () => {
        while (isRunning) {
          const handled = await runOnce().catch((error: unknown) => {
            logError("worker", error);
            return 0;
          });
          // Busy: go again at once. Idle: wait for a NOTIFY or the poll.
          if (handled === 0 && isRunning) await sleep(options.pollMs ?? 1000);
        }
      })();
    },
    async stop() {
      isRunning = false;
      wake?.();
      await loop;
      await listener?.end().catch(() => {});
    },
  };
}
