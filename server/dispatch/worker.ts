/**
 * The worker: a bounded in-memory pipeline from Postgres to the vendors and back.
 * - The claimer takes due jobs in batches (one statement each), plans each batch in a few
 *   queries (its kind's `plan`), and keeps the ready queue topped up while room is left;
 * - slots (`concurrency` of them) run the ready tasks, the vendor calls: a slot frees, it takes
 *   the next (no batch waits for its slowest member);
 * - the recorder writes finished outcomes in batches, one transaction each (group commit: what
 *   finishes while a batch is being written goes in the next);
 * - one timer renews the leases of every job held (a few statements for all of them); a job whose
 *   lease was lost is aborted and its outcome is not recorded;
 * - a job whose own code fails (plan, task or record) is a failure like any other: retried, then
 *   dead-lettered, so no job is retried forever and the jobs around it go on.
 * Idle, it sleeps until NOTIFY (or a poll); the LISTEN connection reconnects by itself after
 * Postgres restarts. A reconcile sweep brings quarantined accounts back (each read back first) and
 * asks for the periodic read-backs that correct what no report told, and scheduled jobs (the
 * cleanup) run on timers, one worker at a time. Any number of workers on any number of machines
 * coordinate through the database alone.
 */
import pg from "pg";
import { logError } from "../log";
import { MAX_ATTEMPTS } from "../sync/retry-policy";
import {
  endOnly,
  failedOutcome,
  recordOutcomes,
  runScheduledJob,
  type TFinished,
  type TJobDefinition,
  type TJobDeps,
  type TJobTask,
  type TScheduledJob,
} from "./define-job";
import { NETWORK_DEFINITIONS } from "../connectors/registry";
import { inboundEventJob } from "./jobs/inbound-event";
import { readAccountJob } from "./jobs/read-account";
import { createWatcher } from "../monitor/watches";
import { createClientPool } from "./clients";
import { syncAccountJob } from "./jobs/sync-account";
import { reopenSwitchedOnNetworks } from "./reopen-network";
import { claimJobs, renewLeases, reviveQuarantined, scheduleReadBacks, WORK_CHANNEL, type TClaimedJob } from "./queue";

export const JOB_DEFINITIONS: readonly TJobDefinition[] = [syncAccountJob, inboundEventJob, readAccountJob];

/** Each network's read-back interval, from its definition. */
const READ_BACK_EVERY_MS = new Map(
  NETWORK_DEFINITIONS.map((definition) => [definition.id, definition.readBackEveryMs]),
);

export interface TWorkerOptions extends Omit<TJobDeps, "clients"> {
  databaseUrl: string;
  /** Jobs running their outside work at once. */
  concurrency: number;
  /** Jobs per claim and at most per recorded batch (default: max(concurrency, 32)). */
  batchSize?: number;
  leaseMs: number;
  pollMs?: number;
  /** How often the reconcile sweep runs, and the quarantine of a dead-lettered account. */
  sweepMs?: number;
  quarantineBaseMs?: number;
  quarantineMaxMs?: number;
  /**
   * The periodic read-back, run with the sweep: every network's interval capped at `maxEveryMs`,
   * at most `perMinute` accounts a minute (default 600; 0: off).
   */
  readBack?: { maxEveryMs?: number; perMinute?: number };
  /** How long stop() lets held jobs finish before aborting them. */
  stopGraceMs?: number;
  /** Called after each recorded batch (metrics). */
  onRecorded?: (finished: readonly TFinished[]) => void;
  /** The watches of accounts on networks that push over a connection (server/monitor/watches.ts). */
  watches?: { everyMs?: number; maxWatches?: number };
  /** Housekeeping run on timers (`npm run worker` passes the cleanup job). */
  scheduled?: readonly TScheduledJob[];
}

export interface TWorker {
  /** Claims, runs and records one due job; false when none was due. */
  runOne(): Promise<boolean>;
  /** Runs jobs until none is due (tests and tools); returns how many ran. */
  drain(): Promise<number>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The accounts this worker watches (networks that push over a connection). */
  readonly watching: ReadonlySet<string>;
}

/**
 * Claim-and-plan loops and recorder transactions running at once: each is a chain of round trips
 * to Postgres, so a few in parallel keep both the process and the database busy.
 */
const CLAIMERS = 2;
const RECORDERS = 3;
/**
 * A job claimed more often than this never got an outcome recorded (its worker died each time, or
 * recording it kept failing): it ends as a failure at its next claim, without running again.
 */
const MAX_CLAIMS = MAX_ATTEMPTS + 2;

const definitions = new Map(JOB_DEFINITIONS.map((definition) => [definition.kind, definition]));
const definitionOf = (kind: string) => definitions.get(kind);

interface THeld {
  job: TClaimedJob;
  /** Aborted by a lost lease or a hard stop. */
  controller: AbortController;
}

interface TReady {
  held: THeld;
  task: TJobTask;
}

export function createWorker(workerOptions: TWorkerOptions): TWorker {
  const { db } = workerOptions;
  const clients = createClientPool(workerOptions);
  const options = { ...workerOptions, clients };
  const watcher = createWatcher({ ...workerOptions, ...workerOptions.watches });
  const pollMs = options.pollMs ?? 1000;
  const batchSize = options.batchSize ?? Math.max(options.concurrency, 32);
  /** Jobs held at most (claimed, not yet recorded): the pipeline's bound. */
  const maxHeld = options.concurrency + 2 * batchSize;
  let isRunning = false;
  let isHardStopped = false;
  let listener: pg.Client | null = null;
  let sweepTimer: NodeJS.Timeout | null = null;
  let renewTimer: NodeJS.Timeout | null = null;
  const scheduleTimers: NodeJS.Timeout[] = [];
  /** Scheduled runs in flight, by job name (a job never overlaps itself in one worker). */
  const scheduledRuns = new Map<string, Promise<void>>();
  let scheduledStop = new AbortController();
  const held = new Map<string, THeld>();
  const ready: TReady[] = [];
  const finished: TFinished[] = [];
  /** Recorder transactions in flight (up to RECORDERS). */
  const flushing = new Set<Promise<void>>();
  const sleepers = new Set<() => void>();
  let claimersRunning = 0;
  let loops: Promise<void>[] = [];
  let listening: Promise<void> = Promise.resolve();

  const wakeAll = () => {
    for (const wake of [...sleepers]) wake();
  };

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

  /**
   * Forgets a job this run held. Only this claim's entry: after a lease ran out (the database was
   * away longer than a lease), the same job can be claimed again, here, under a new lease.
   */
  function release(job: TClaimedJob): void {
    if (held.get(job.id)?.job === job) held.delete(job.id);
  }

  /** Claims up to `limit` jobs and plans them; returns the ready tasks (unknown kinds end dead). */
  async function claim(limit: number): Promise<TReady[]> {
    const jobs = await claimJobs(db, options.leaseMs, limit);
    const claimed: TReady[] = [];
    const byKind = new Map<string, TClaimedJob[]>();
    const mine = new Map<string, THeld>();
    for (const job of jobs) {
      const entry = { job, controller: new AbortController() };
      mine.set(job.id, entry);
      // Claimed again after its lease ran out (the database was away): the older run is over.
      held.get(job.id)?.controller.abort(new Error("lease lost"));
      held.set(job.id, entry);
      const batch = byKind.get(job.kind) ?? [];
      batch.push(job);
      byKind.set(job.kind, batch);
    }
    for (const [kind, jobsOfKind] of byKind) {
      const definition = definitionOf(kind);
      const fail = (job: TClaimedJob) => async () => failedOutcome(definition, job, options.retryBaseMs);
      const tasks = new Map<string, TJobTask>();
      const batch: TClaimedJob[] = [];
      for (const job of jobsOfKind) {
        if (job.attempts > MAX_CLAIMS) {
          logError(`job ${kind} ${job.id}`, new Error(`claimed ${job.attempts} times without an outcome`));
          tasks.set(job.id, fail(job));
        } else batch.push(job);
      }
      if (!definition) {
        for (const job of batch) {
          tasks.set(job.id, async () => ({ end: { state: "dead", error: `No handler for jobs of kind ${kind}.` } }));
        }
      } else if (batch.length > 0) {
        try {
          for (const [id, task] of await definition.plan(options, batch)) tasks.set(id, task);
        } catch (error) {
          // The database went away, or one job's data breaks planning: plan each alone, so one
          // poison job fails on its own (and ends after its attempts) instead of its batch. When
          // the database is away, none is failed: the leases run out and they are claimed again
          // (a job claimed too often ends all the same, above).
          logError(`plan ${kind}`, error);
          for (const job of batch) {
            try {
              for (const [id, task] of await definition.plan(options, [job])) tasks.set(id, task);
            } catch (alone) {
              logError(`plan ${kind} ${job.id}`, alone);
              if (await isDatabaseUp()) tasks.set(job.id, fail(job));
            }
          }
        }
      }
      for (const job of jobsOfKind) {
        const task = tasks.get(job.id);
        if (task) claimed.push({ held: mine.get(job.id)!, task });
        else release(job);
      }
    }
    return claimed;
  }

  async function perform({ held: { job, controller }, task }: TReady): Promise<TFinished | null> {
    try {
      return { job, outcome: await untilAborted(task(controller.signal), controller.signal) };
    } catch (error) {
      logError(`job ${job.kind} ${job.id}`, error);
      // Aborted (lease lost, hard stop): nothing to record; whoever holds the account now runs it.
      if (controller.signal.aborted) {
        release(job);
        return null;
      }
      // Its own code threw: a failure like any other, retried and in the end dead-lettered.
      return { job, outcome: failedOutcome(definitionOf(job.kind), job, options.retryBaseMs) };
    }
  }

  /**
   * The task's outcome, or its abort (lease lost, hard stop) as soon as it comes: a task that does
   * not heed its signal (a vendor call with no bound of its own) must not hold its slot for ever. It
   * may still finish in the background; its outcome is not recorded, and its writes carry the same
   * idempotency keys as the run that takes over.
   */
  function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason ?? new Error("aborted"));
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
    // Settled by the abort, the work's own failure later is nobody's news.
    work.catch(() => {});
    return Promise.race([work, aborted]).finally(() => signal.removeEventListener("abort", onAbort));
  }

  async function recordBatch(batch: readonly TFinished[]): Promise<void> {
    const recorded = await recordOutcomes(db, definitionOf, batch);
    options.onRecorded?.(recorded);
  }

  /** Whether the database answers (to tell "it is away" from "this job's data is bad"). */
  async function isDatabaseUp(): Promise<boolean> {
    return db.$queryRaw`SELECT 1`.then(
      () => true,
      () => false,
    );
  }

  /**
   * Records a batch in one transaction. If that fails while the database answers, each outcome
   * alone, so one that cannot be recorded does not hold up the others; one that cannot be recorded
   * even alone is recorded as a failure of its job (retried, then dead-lettered), and if not even
   * that, its job just ends. If the database is away, nothing is: the leases run out and the jobs
   * are claimed again.
   */
  async function record(batch: TFinished[]): Promise<void> {
    try {
      try {
        await recordBatch(batch);
        return;
      } catch (error) {
        logError("record outcomes", error);
      }
      for (const item of batch) {
        if (!(await isDatabaseUp())) return;
        if (batch.length > 1) {
          try {
            await recordBatch([item]);
            continue;
          } catch (error) {
            logError(`record ${item.job.kind} ${item.job.id}`, error);
          }
        }
        const failure = {
          job: item.job,
          outcome: failedOutcome(definitionOf(item.job.kind), item.job, options.retryBaseMs),
        };
        try {
          await recordBatch([failure]);
        } catch (error) {
          logError(`record failure of ${item.job.kind} ${item.job.id}`, error);
          await endOnly(db, [failure]).catch((error: unknown) => logError("end job", error));
        }
      }
    } finally {
      for (const { job } of batch) release(job);
    }
  }

  async function recordFinished(): Promise<void> {
    while (finished.length > 0) {
      await record(finished.splice(0, batchSize));
      wakeAll();
    }
  }

  /**
   * Group commit: up to RECORDERS transactions at once, each taking what finished so far (up to a
   * batch); what finishes meanwhile goes in the next.
   */
  function enqueueFinished(item: TFinished): void {
    finished.push(item);
    if (flushing.size >= RECORDERS) return;
    const flush = recordFinished().finally(() => flushing.delete(flush));
    flushing.add(flush);
  }

  async function renew(): Promise<void> {
    const jobs = [...held.values()];
    const alive = await renewLeases(
      db,
      jobs.map(({ job }) => job),
      options.leaseMs,
    );
    for (const { job, controller } of jobs) {
      if (held.get(job.id)?.job === job && !alive.has(`${job.linkedAccountId}:${job.leaseToken}`)) {
        controller.abort(new Error("lease lost"));
      }
    }
  }

  async function claimer(): Promise<void> {
    claimersRunning += 1;
    try {
      await claimLoop();
    } finally {
      claimersRunning -= 1;
      wakeAll();
    }
  }

  async function claimLoop(): Promise<void> {
    while (isRunning) {
      const room = Math.min(batchSize, maxHeld - held.size);
      if (ready.length >= options.concurrency || room <= 0) {
        await sleep(pollMs);
        continue;
      }
      let claimed: TReady[] = [];
      try {
        claimed = await claim(room);
      } catch (error) {
        logError("worker claim", error);
      }
      ready.push(...claimed);
      wakeAll();
      if (claimed.length === 0 && isRunning) await sleep(pollMs);
    }
  }

  async function slot(): Promise<void> {
    for (;;) {
      const next = ready.shift();
      if (!next) {
        // Stopping: done once no claimer can add more (a claim in flight when stop() was called
        // is run, not left leased).
        if (!isRunning && claimersRunning === 0) return;
        await sleep(pollMs);
        continue;
      }
      // A slot that took the last ready task lets the claimer top the queue up.
      if (ready.length < options.concurrency) wakeAll();
      if (isHardStopped) next.held.controller.abort(new Error("worker stopping"));
      const done = await perform(next);
      if (done) enqueueFinished(done);
    }
  }

  /** Claims, runs and records up to `limit` jobs, all of them before returning (tests, tools). */
  async function runBatch(limit: number): Promise<number> {
    const claimed = await claim(limit);
    const results = await Promise.all(claimed.map(perform));
    await record(results.filter((item): item is TFinished => item !== null));
    return claimed.length;
  }

  function runScheduled(job: TScheduledJob): void {
    if (!isRunning || scheduledRuns.has(job.name)) return;
    const run = runScheduledJob(db, options.databaseUrl, job, scheduledStop.signal)
      .then(() => undefined)
      .catch((error: unknown) => logError(`scheduled job ${job.name}`, error))
      .finally(() => scheduledRuns.delete(job.name));
    scheduledRuns.set(job.name, run);
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
    async runOne() {
      return (await runBatch(1)) > 0;
    },
    async drain() {
      let count = 0;
      for (let ran = await runBatch(batchSize); ran > 0; ran = await runBatch(batchSize)) count += ran;
      return count;
    },
    get watching() {
      return watcher.watching;
    },
    async start() {
      isRunning = true;
      await watcher.start();
      scheduledStop = new AbortController();
      listening = listen();
      loops = [
        ...Array.from({ length: CLAIMERS }, () => claimer()),
        ...Array.from({ length: options.concurrency }, () => slot()),
      ];
      renewTimer = setInterval(
        () => void renew().catch((error: unknown) => logError("lease renewal", error)),
        Math.max(50, Math.floor(options.leaseMs / 3)),
      );
      const sweepMs = options.sweepMs ?? 60_000;
      const readBacksPerSweep = Math.ceil(((options.readBack?.perMinute ?? 600) * sweepMs) / 60_000);
      sweepTimer = setInterval(() => {
        reviveQuarantined(db, {
          baseMs: options.quarantineBaseMs ?? 60 * 60_000,
          maxMs: options.quarantineMaxMs ?? 24 * 60 * 60_000,
        })
          .then(
            async (revived) =>
              revived +
              (await scheduleReadBacks(db, {
                everyMsOf: READ_BACK_EVERY_MS,
                maxEveryMs: options.readBack?.maxEveryMs,
                limit: readBacksPerSweep,
              })) +
              // A network switched on whose accounts are not all reopened yet (a large one, or a crash).
              (await reopenSwitchedOnNetworks(db, { budgetMs: Math.floor(sweepMs / 2) })),
          )
          .then((count) => {
            if (count > 0) wakeAll();
          })
          .catch((error: unknown) => logError("reconcile sweep", error));
        void clients.releaseUnused().catch((error: unknown) => logError("closing unused clients", error));
      }, sweepMs);
      for (const job of options.scheduled ?? []) {
        scheduleTimers.push(
          setTimeout(() => runScheduled(job), job.firstAfterMs),
          setInterval(() => runScheduled(job), job.everyMs),
        );
      }
    },
    /** Claims nothing new; the jobs held finish (within the grace, then aborted) and are recorded. */
    async stop() {
      isRunning = false;
      if (sweepTimer) clearInterval(sweepTimer);
      for (const timer of scheduleTimers) clearTimeout(timer);
      // A scheduled run stops after its current statement.
      scheduledStop.abort();
      wakeAll();
      const grace = setTimeout(() => {
        isHardStopped = true;
        for (const { controller } of held.values()) controller.abort(new Error("worker stopping"));
      }, options.stopGraceMs ?? 30_000);
      await Promise.all(loops);
      while (flushing.size > 0) await Promise.all(flushing);
      await Promise.all(scheduledRuns.values());
      clearTimeout(grace);
      if (renewTimer) clearInterval(renewTimer);
      await listener?.end().catch(() => {});
      await listening;
      await watcher.stop();
      await clients.closeAll();
    },
  };
}
