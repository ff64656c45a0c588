/**
 * Latency at a steady offered load: `rate` profile updates a second, each by another person with
 * three linked accounts, saved through `updateProfile` (what the portal's procedure runs), while
 * one worker process delivers them through a connector with a fixed latency. Per update: commit →
 * first attempt (the first time any of its accounts was sent it, seen by the connector) and
 * commit → last delivery (the last of its Deliveries marked delivered). Both clocks are this
 * machine's wall clock, read in two processes.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TKeyring } from "../../server/crypto/secrets";
import type { TDb } from "../../server/db";
import { updateProfile } from "../../server/profile/update";
import { clearBacklog, isAnyOpen, seedBacklog } from "./backlog";
import { cpuPerDelivery, cpuSecondsOf, machineCpuSeconds, ownCpuSeconds, type TCpuProbe } from "./cpu";
import { startBenchWorker } from "./drain";

export interface TPercentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentiles(values: readonly number[]): TPercentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) ?? NaN };
}

export interface TSteadyResult {
  offeredPerSecond: number;
  achievedPerSecond: number;
  updates: number;
  /** Saves in flight at most (the bound), and how long saves waited for it past their schedule. */
  maxSavesInFlight: number;
  lateMs: TPercentiles;
  /** One save's transaction, from its start to its commit. */
  saveMs: TPercentiles;
  /** CPU milliseconds per save while saving, by process (Linux only); `bench` runs the saves. */
  cpuMsPerSave: Record<string, number>;
  firstAttemptMs: TPercentiles;
  lastDeliveryMs: TPercentiles;
}

/**
 * Saves in flight at once: fewer than the pool's ten connections, so a slow moment queues saves
 * here, where the wait is measured (`lateMs`), rather than in Prisma's pool, where a transaction
 * that waits two seconds for a connection fails (P2028) and the run with it.
 */
const MAX_SAVES_IN_FLIGHT = 8;

export async function measureSteadyLoad(options: {
  db: TDb;
  databaseUrl: string;
  keyring: TKeyring;
  keyringSecret: string;
  rate: number;
  seconds: number;
  latencyMs: number;
  extraArgs?: string[];
  /** Other processes whose CPU time to report (the database). */
  cpuProbes?: Record<string, TCpuProbe>;
}): Promise<TSteadyResult> {
  const { db } = options;
  const updates = options.rate * options.seconds;
  await clearBacklog(db);
  await seedBacklog(db, options.keyring, { people: updates, isEmpty: true, tag: "steady" });
  const users = (await db.user.findMany({ select: { id: true } })).map((user) => user.id);
  const dir = mkdtempSync(path.join(os.tmpdir(), "oneprofile-steady-"));
  const callsFile = path.join(dir, "calls.json");
  const worker = startBenchWorker([
    "--database",
    options.databaseUrl,
    "--key",
    options.keyringSecret,
    "--connector",
    "instant",
    "--latency",
    String(options.latencyMs),
    "--calls",
    callsFile,
    ...(options.extraArgs ?? []),
  ]);
  try {
    await worker.started;
    const commits: Array<{ revisionId: string; signature: string; committedAt: number }> = [];
    const saves: Array<Promise<void>> = [];
    const lateMs: number[] = [];
    const saveMs: number[] = [];
    let inFlight = 0;
    const slotFreed: Array<() => void> = [];
    const probes: Record<string, TCpuProbe> = {
      worker: () => cpuSecondsOf(worker.child.pid),
      ...options.cpuProbes,
      bench: ownCpuSeconds,
      machine: machineCpuSeconds,
    };
    const readAll = () => Object.fromEntries(Object.entries(probes).map(([name, probe]) => [name, probe()]));
    const cpuBefore = readAll();
    const started = Date.now();
    for (let index = 0; index < updates; index++) {
      // The offered load follows the schedule, whatever the answers (an open-loop generator), up to
      // the bound; a save that waits for it is late, and counts so from its scheduled time.
      const due = started + (index * 1000) / options.rate;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      while (inFlight >= MAX_SAVES_IN_FLIGHT) await new Promise<void>((resolve) => slotFreed.push(resolve));
      inFlight++;
      const begun = Date.now();
      lateMs.push(begun - due);
      const signature = `steady ${index}`;
      saves.push(
        updateProfile(db, { userId: users[index]!, changes: { signature }, source: "portal" })
          .then((result) => {
            const committedAt = Date.now();
            saveMs.push(committedAt - begun);
            commits.push({ revisionId: result!.revisionId, signature, committedAt });
          })
          .finally(() => {
            inFlight--;
            slotFreed.shift()?.();
          }),
      );
    }
    await Promise.all(saves);
    const cpuMsPerSave = cpuPerDelivery(cpuBefore, readAll(), updates);
    const achievedPerSecond = updates / ((Date.now() - started) / 1000);
    // Polled, not slept on: done at the first look that finds nothing open.
    while (await isAnyOpen(db)) await new Promise((resolve) => setTimeout(resolve, 50));
    await worker.stop();
    const firstSent = new Map(JSON.parse(readFileSync(callsFile, "utf8")) as Array<[string, number]>);
    const delivered = new Map(
      (
        await db.$queryRaw<Array<{ revisionId: string; last: Date }>>`
          SELECT revision_id AS "revisionId", max(delivered_at) AS last FROM deliveries GROUP BY revision_id`
      ).map((row) => [row.revisionId, row.last.getTime()]),
    );
    return {
      offeredPerSecond: options.rate,
      achievedPerSecond,
      updates,
      maxSavesInFlight: MAX_SAVES_IN_FLIGHT,
      lateMs: percentiles(lateMs.map(Math.round)),
      saveMs: percentiles(saveMs),
      cpuMsPerSave,
      firstAttemptMs: percentiles(commits.map((commit) => firstSent.get(commit.signature)! - commit.committedAt)),
      lastDeliveryMs: percentiles(commits.map((commit) => delivered.get(commit.revisionId)! - commit.committedAt)),
    };
  } finally {
    if (worker.child.exitCode === null) worker.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}
