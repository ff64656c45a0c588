/**
 * The worker: one loop per slot runs jobs from Postgres (a slot frees, it claims the next; no
 * batch waits for its slowest member). Each job holds its account's lease, renewed while it
 * runs; losing it aborts the job's outside calls and its outcome is not recorded. Idle slots
 * sleep until NOTIFY (or a poll); the LISTEN connection reconnects by itself after Postgres
 * restarts. A reconcile sweep brings quarantined accounts back. Any number of workers on any
 * number of machines coordinate through the database alone.
 */
import pg from "pg";
import { logError } from "../log";
import { recordOutcome, type TJobDefinition, type TJobDeps } from "./define-job";
import { inboundEventJob } from "./jobs/inbound-event";
import { syncAccountJob } from "./jobs/sync-account";
import { claimJob, renewLease, reviveQuarantined, WORK_CHANNEL, type TClaimedJob } from "./queue";

export const JOB_DEFINITIONS: readonly TJobDefinition[] = [syncAccountJob, inboundEventJob];

export interface TWorkerOptions extends TJobDeps {
  databaseUrl: string;
  concurrency: number;
  leaseMs: number;
  pollMs?: number;
  /** How often the reconcile sweep runs, and the quarantine of a dead-lettered account. */
  sweepMs?: number;
  quarantineBaseMs?: number;
  quarantineMaxMs?: number;
  /** How long stop() lets running jobs finish before aborting them. */
  stopGraceMs?: number;
}

export interface TWorker {
  /** Claims and runs one due job; false when none was due. */
  runOne(): Promise<boolean>;
  /** Runs jobs until none is due (tests and tools). */
  drain(): Promise<number>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const definitions = new Map(JOB_DEFINITIONS.map((definition) => [definition.kind, definition]));

export function createWorker(options: TWorkerOptions): TWorker {
  const { db } = options;
  const pollMs = options.pollMs ?? 1000;
  let isRunning = false;
  let listener: pg.Client | null = null;
  let sweepTimer: NodeJS.Timeout | null = null;
  const sleepers = new Set<() => void>();
  const hardStop = new AbortController();
  let slots: Promise<void>[] = [];
  let listening: Promise<void> = Promise.resolve();

  const wakeAll = () => {
    for (const wake of [...sleepers]) wake();
  };

  async function run(job: TClaimedJob): Promise<void> {
    const definition = definitions.get(job.kind);
    // One controller per job, aborted by a lost lease or a hard stop (no AbortSignal.any: see http.ts).
    const lost = new AbortController();
    const onHardStop = () => lost.abort(hardStop.signal.reason);
    hardStop.signal.addEventListener("abort", onHardStop, { once: true });
    const signal = lost.signal;
    const renew = setInterval(
      () => {
        renewLease(db, job, options.leaseMs)
          .then((isHeld) => {
            if (!isHeld) lost.abort(new Error("lease lost"));
          })
          .catch((error: unknown) => logError(`lease ${job.id}`, error));
      },
      Math.max(50, Math.floor(options.leaseMs / 3)),
    );
    try {
      const outcome = definition
        ? await definition.run({ ...options, job, signal })
        : { end: { state: "dead" as const, error: `No handler for jobs of kind ${job.kind}.` } };
      await recordOutcome(db, job, outcome);
    } catch (error) {
      // Unexpected (the database went away, a bug): the lease runs out and the job is retried.
      logError(`job ${job.kind} ${job.id}`, error);
    } finally {
      clearInterval(renew);
      hardStop.signal.removeEventListener("abort", onHardStop);
    }
  }

  async function runOne(): Promise<boolean> {
    const job = await claimJob(db, options.leaseMs);
    if (!job) return false;
    await run(job);
    return true;
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });
  }

  async function slot(): Promise<void> {
    while (isRunning) {
      const didWork = await runOne().catch((error: unknown) => {
        logError("worker claim", error);
        return false;
      });
      if (!didWork && isRunning) await sleep(pollMs);
    }
  }

  /** LISTEN for wake-ups; after the connection drops (Postgres restarted), connect again. */
  async function listen(): Promise<void> {
    while (isRunning) {
      const client = new pg.Client({ connectionString: options.databaseUrl });
      let onGone = () => {};
      client.on("error", () => onGone());
      client.on("end", () => onGone());
      try {
        await client.connect();
        client.on("notification", wakeAll);
        await client.query(`LISTEN ${WORK_CHANNEL}`);
        listener = client;
        wakeAll();
        await new Promise<void>((resolve) => {
          onGone = resolve;
          if (!isRunning) resolve();
        });
      } catch {
        // Not reachable yet: try again after a poll.
      }
      listener = null;
      await client.end().catch(() => {});
      if (isRunning) await sleep(pollMs);
    }
  }

  return {
    runOne,
    async drain() {
      let count = 0;
      while (await runOne()) count++;
      return count;
    },
    async start() {
      isRunning = true;
      listening = listen();
      slots = Array.from({ length: options.concurrency }, () => slot());
      sweepTimer = setInterval(() => {
        reviveQuarantined(db, {
          baseMs: options.quarantineBaseMs ?? 60 * 60_000,
          maxMs: options.quarantineMaxMs ?? 24 * 60 * 60_000,
        })
          .then((count) => {
            if (count > 0) wakeAll();
          })
          .catch((error: unknown) => logError("reconcile sweep", error));
      }, options.sweepMs ?? 60_000);
    },
    async stop() {
      isRunning = false;
      if (sweepTimer) clearInterval(sweepTimer);
      wakeAll();
      const grace = setTimeout(() => hardStop.abort(new Error("worker stopping")), options.stopGraceMs ?? 30_000);
      await Promise.all(slots);
      clearTimeout(grace);
      await listener?.end().catch(() => {});
      await listening;
    },
  };
}
