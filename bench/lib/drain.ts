/**
 * Drains a held backlog with N worker processes and times it: the workers start first, then
 * the backlog becomes due at once, and the clock stops when no delivery is left open.
 */
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { spawnTs } from "../../scripts/lib/spawn-ts";
import type { TDb } from "../../server/db";
import { isAnyOpen, openDeliveries, releaseBacklog } from "./backlog";
import { cpuPerDelivery, cpuSecondsOf, machineCpuSeconds, ownCpuSeconds, type TCpuProbe } from "./cpu";

export interface TDrainResult {
  workers: number;
  deliveries: number;
  seconds: number;
  perSecond: number;
  maxRssMb: number[];
  /** CPU milliseconds per delivery while the clock ran, by process (Linux only). */
  cpuMsPerDelivery: Record<string, number>;
}

export interface TWorkerProcess {
  child: ChildProcess;
  /** The JSON lines it printed, in order. */
  lines: unknown[];
  started: Promise<void>;
  /** SIGTERM, then its peak RSS once it exited. */
  stop(): Promise<number>;
}

/** `cpuProfileDir`: each worker writes a V8 CPU profile there when it exits (where the time goes). */
export function startBenchWorker(args: string[], cpuProfileDir?: string): TWorkerProcess {
  const profile = cpuProfileDir ? ["--cpu-prof", "--cpu-prof-dir", cpuProfileDir] : [];
  const child = spawnTs("bench/worker-process.ts", { stdio: ["ignore", "pipe", "inherit"] }, args, profile);
  const lines: unknown[] = [];
  const waiting: Array<() => void> = [];
  /** The worker's own log shares stdout (pino JSON lines): warnings and errors are shown, a few each. */
  const logged = new Map<string, number>();
  createInterface({ input: child.stdout! }).on("line", (line) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    const log = value as { level?: unknown; msg?: unknown };
    if (log.level !== undefined) {
      // Levels as pino's labels (the server's formatter) or its numbers.
      if (!["warn", "error", "fatal"].includes(String(log.level)) && !(Number(log.level) >= 40)) return;
      const message = String(log.msg);
      const seen = (logged.get(message) ?? 0) + 1;
      logged.set(message, seen);
      if (seen <= 3) console.error(`  [worker ${child.pid}] ${message}${seen === 3 ? " (further ones counted)" : ""}`);
      return;
    }
    lines.push(value);
    for (const wake of waiting.splice(0)) wake();
  });
  const next = (test: (line: unknown) => boolean) =>
    new Promise<unknown>((resolve, reject) => {
      const check = () => {
        const found = lines.find(test);
        if (found) return resolve(found);
        if (child.exitCode !== null) return reject(new Error(`bench worker exited with ${child.exitCode}`));
        waiting.push(check);
      };
      child.once("exit", () => check());
      check();
    });
  return {
    child,
    lines,
    started: next((line) => (line as { started?: boolean }).started === true).then(() => {}),
    async stop() {
      child.kill("SIGTERM");
      const exited = new Promise((resolve) => child.once("exit", resolve));
      const line = (await next((line) => typeof (line as { maxRssMb?: number }).maxRssMb === "number")) as {
        maxRssMb: number;
      };
      if (child.exitCode === null) await exited;
      for (const [message, count] of logged) {
        if (count > 3) console.error(`  [worker ${child.pid}] ${count}× ${message}`);
      }
      return line.maxRssMb;
    },
  };
}

/** Starts the workers, makes the backlog due, and waits until no delivery is open. */
export async function drainBacklog(options: {
  db: TDb;
  databaseUrl: string;
  keyringSecret: string;
  workers: number;
  connector: { kind: "instant" | "sandbox"; latencyMs: number; sandboxUrl?: string };
  extraArgs?: string[];
  cpuProfileDir?: string;
  /** After the clock stopped, before the workers stop: wait for the rest (echoes) to settle. */
  settle?: () => Promise<void>;
  /** Other processes whose CPU time to report (the database, the vendor). */
  cpuProbes?: Record<string, TCpuProbe>;
}): Promise<TDrainResult> {
  const deliveries = await openDeliveries(options.db);
  const args = [
    "--database",
    options.databaseUrl,
    "--key",
    options.keyringSecret,
    "--connector",
    options.connector.kind,
    "--latency",
    String(options.connector.latencyMs),
    ...(options.connector.sandboxUrl ? ["--sandbox", options.connector.sandboxUrl] : []),
    ...(options.extraArgs ?? []),
  ];
  const workers = Array.from({ length: options.workers }, () => startBenchWorker(args, options.cpuProfileDir));
  try {
    await Promise.all(workers.map((worker) => worker.started));
    const probes: Record<string, TCpuProbe> = {
      workers: () => sumOf(workers.map((worker) => cpuSecondsOf(worker.child.pid))),
      ...options.cpuProbes,
      bench: ownCpuSeconds,
      machine: machineCpuSeconds,
    };
    const readAll = () => Object.fromEntries(Object.entries(probes).map(([name, probe]) => [name, probe()]));
    const cpuBefore = readAll();
    const started = performance.now();
    await releaseBacklog(options.db);
    // Polled, not slept on: the clock stops at the first look that finds nothing open.
    while (await isAnyOpen(options.db)) await new Promise((resolve) => setTimeout(resolve, 25));
    const seconds = (performance.now() - started) / 1000;
    const cpuMsPerDelivery = cpuPerDelivery(cpuBefore, readAll(), deliveries);
    await options.settle?.();
    const maxRssMb = await Promise.all(workers.map((worker) => worker.stop()));
    return {
      workers: options.workers,
      deliveries,
      seconds,
      perSecond: deliveries / seconds,
      maxRssMb,
      cpuMsPerDelivery,
    };
  } finally {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill("SIGKILL");
  }
}

function sumOf(values: Array<number | undefined>): number | undefined {
  return values.some((value) => value === undefined)
    ? undefined
    : values.reduce<number>((sum, value) => sum + value!, 0);
}
