/**
 * `npm run bench` (`-- --quick` for a one-minute version): throughput, its ceiling, latency and
 * memory of the sync engine on real parts — embedded Postgres, real worker processes, the
 * sandbox vendor over HTTP, the portal's own HTTP endpoint. Prints a table and writes
 * bench/results/<date>.json. See bench/README.md for the figures and what limits them.
 *
 *   npm run bench                      # everything, about twelve minutes on 2 cores
 *   npm run bench -- --quick           # smaller sizes, about a minute
 *   npm run bench -- --only 1a,2       # some parts (1a 1b 2 3 4 5 log)
 *   npm run bench -- --worker-args "--batch 128" --cpu-prof /tmp/prof   # tune, profile
 *   npm run bench -- --only 4 --reuse-build    # part 4 on the existing `next build`
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createKeyring } from "../server/crypto/secrets";
import { freePort, startEmbeddedPostgres } from "../server/database/embedded";
import { prepareDatabase } from "../server/database/prepare";
import { createDb } from "../server/db";
import { clearBacklog, seedBacklog } from "./lib/backlog";
import { measureCeiling } from "./lib/ceiling";
import { cpuSecondsOf, type TCpuProbe } from "./lib/cpu";
import { measureDeliveryLog } from "./lib/delivery-log";
import { drainBacklog, type TDrainResult } from "./lib/drain";
import { buildPortal, measureProfileUpdates } from "./lib/http";
import { measureSteadyLoad, type TPercentiles } from "./lib/steady";
import { startBenchVendor } from "./lib/vendor";

const DEFAULT_PARTS = "1a,1b,2,3,4,5,log";
const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string", default: DEFAULT_PARTS },
    /** Extra arguments for every worker process, e.g. "--batch 128 --concurrency 64". */
    "worker-args": { type: "string", default: "" },
    /** Write a V8 CPU profile of every worker process into this folder (and of the sandbox into sandbox/). */
    "cpu-prof": { type: "string" },
    /** Part 4: use the existing `next build` instead of building again. */
    "reuse-build": { type: "boolean", default: false },
  },
});
const quick = values.quick;
const parts = new Set(values.only.split(","));
const SIZES = quick
  ? { backlog: 3000, vendorBacklog: 1500, rss: 15_000, steadySeconds: 8, httpSeconds: 8, log: 100_000 }
  : { backlog: 20_000, vendorBacklog: 6000, rss: 100_000, steadySeconds: 30, httpSeconds: 30, log: 1_000_000 };
/** Connections each process's pool opens (pg's default, which Prisma's adapter keeps). */
const CONNECTIONS = 10;

const dir = mkdtempSync(path.join(os.tmpdir(), "oneprofile-bench-"));
const database = await startEmbeddedPostgres({
  dir: path.join(dir, "pg"),
  port: await freePort(),
  persistent: false,
  quiet: true,
});
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  quick,
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30) },
  sizes: SIZES,
};
const table: Array<[string, string]> = [];
const row = (label: string, value: string) => {
  table.push([label, value]);
  console.log(`  ${label}: ${value}`);
};
const perSecond = (value: number) => `${Math.round(value).toLocaleString("en-US")}/s`;

/** The database's CPU time: the postmaster and its backends (line 1 of postmaster.pid is its pid). */
const postgresCpu: TCpuProbe = () => {
  try {
    return cpuSecondsOf(Number(readFileSync(path.join(dir, "pg", "postmaster.pid"), "utf8").split("\n")[0]), true);
  } catch {
    return undefined;
  }
};

try {
  await prepareDatabase(database.url);
  const db = createDb(database.url);
  const keyringSecret = `bench:${randomBytes(32).toString("base64")}`;
  const keyring = createKeyring(keyringSecret, undefined);
  const drain = async (
    label: string,
    workers: number,
    connector: { kind: "instant" | "sandbox"; latencyMs: number; sandboxUrl?: string },
    size: number,
    settle?: () => Promise<void>,
    cpuProbes: Record<string, TCpuProbe> = {},
  ) => {
    await clearBacklog(db);
    await seedBacklog(db, keyring, { people: Math.ceil(size / 3), isHeld: true });
    const result = await drainBacklog({
      ...(settle ? { settle } : {}),
      cpuProbes: { postgres: postgresCpu, ...cpuProbes },
      db,
      databaseUrl: database.url,
      keyringSecret,
      workers,
      connector,
      extraArgs: values["worker-args"].split(" ").filter(Boolean),
      ...(values["cpu-prof"] ? { cpuProfileDir: path.resolve(values["cpu-prof"]) } : {}),
    });
    row(
      label,
      `${perSecond(result.perSecond)} (${result.deliveries} in ${result.seconds.toFixed(1)} s, peak RSS ${result.maxRssMb.join(" / ")} MB)`,
    );
    const cpu = Object.entries(result.cpuMsPerDelivery);
    if (cpu.length > 0) console.log(`    CPU ms per delivery: ${cpu.map(([name, ms]) => `${name} ${ms}`).join(", ")}`);
    return result;
  };

  if (parts.has("1a")) {
    console.log("1a. Drain a backlog through an in-process connector that answers at once");
    const one = await drain("1a one worker", 1, { kind: "instant", latencyMs: 0 }, SIZES.backlog);
    const two = await drain("1a two workers", 2, { kind: "instant", latencyMs: 0 }, SIZES.backlog);
    results.instant = { oneWorker: one, twoWorkers: two };
  }

  if (parts.has("1b")) {
    const people = Math.ceil(SIZES.vendorBacklog / 3);
    console.log(`1b. Drain ${people * 3} deliveries through the sandbox vendor over HTTP (webhooks on)`);
    const vendor = await startBenchVendor(
      db,
      values["cpu-prof"] ? { cpuProfileDir: path.join(path.resolve(values["cpu-prof"]), "sandbox") } : {},
    );
    try {
      await vendor.ensureAccounts(people);
      // Every write's webhook comes back and is judged an echo: wait for that too, so that one run's
      // echoes do not land in the next (not timed).
      const settle = async () => {
        for (;;) {
          const [pending] = await db.$queryRaw<Array<{ count: bigint }>>`
            SELECT count(*) AS count FROM jobs WHERE state = 'PENDING'`;
          if ((await vendor.isQuiet()) && Number(pending?.count) === 0) return;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      const vendorResults: Record<string, TDrainResult> = {};
      for (const latencyMs of [0, 20]) {
        await vendor.setLatency(latencyMs);
        for (const workers of [1, 2]) {
          const connector = { kind: "sandbox" as const, latencyMs, sandboxUrl: vendor.url };
          const label = `1b ${workers === 1 ? "one worker" : "two workers"}, ${latencyMs} ms`;
          vendorResults[`${workers}w${latencyMs}ms`] = await drain(label, workers, connector, people * 3, settle, {
            sandbox: vendor.cpuSeconds,
          });
        }
      }
      results.vendor = vendorResults;
    } finally {
      await vendor.stop();
    }
  }

  if (parts.has("2")) {
    console.log(`2. Ceiling: claim with SKIP LOCKED and mark done, plain SQL, ${CONNECTIONS} connections`);
    const ceiling: Record<string, number> = {};
    for (const batch of [1, 10, 50]) {
      ceiling[`batch${batch}`] = await measureCeiling(database.url, {
        rows: SIZES.backlog,
        batch,
        connections: CONNECTIONS,
      });
      row(`2 ceiling, batch ${batch}`, perSecond(ceiling[`batch${batch}`]!));
    }
    const best = Math.max(...Object.values(ceiling));
    results.ceiling = { ...ceiling, best };
    const instant = results.instant as { oneWorker: TDrainResult } | undefined;
    if (instant) {
      const ratio = instant.oneWorker.perSecond / best;
      results.ratioToCeiling = ratio;
      row("headline: 1a (one worker) / ceiling", ratio.toFixed(3));
    }
  }

  if (parts.has("3")) {
    const rate = 100;
    console.log(`3. Latency at ${rate} updates/s for ${SIZES.steadySeconds} s, 3 accounts each, 20 ms vendor latency`);
    const steady = await measureSteadyLoad({
      db,
      databaseUrl: database.url,
      keyring,
      keyringSecret,
      rate,
      seconds: SIZES.steadySeconds,
      latencyMs: 20,
      extraArgs: values["worker-args"].split(" ").filter(Boolean),
      cpuProbes: { postgres: postgresCpu },
    });
    const ms = (p: TPercentiles) => `p50 ${p.p50} / p95 ${p.p95} / p99 ${p.p99} ms (max ${p.max})`;
    row(`3 save (transaction, ≤ ${steady.maxSavesInFlight} in flight)`, ms(steady.saveMs));
    row("3 save start past its schedule", ms(steady.lateMs));
    const cpu = Object.entries(steady.cpuMsPerSave);
    if (cpu.length > 0) console.log(`    CPU ms per save: ${cpu.map(([name, ms]) => `${name} ${ms}`).join(", ")}`);
    row("3 commit → first attempt", ms(steady.firstAttemptMs));
    row("3 commit → last delivery", ms(steady.lastDeliveryMs));
    row("3 offered / achieved updates/s", `${steady.offeredPerSecond} / ${steady.achievedPerSecond.toFixed(1)}`);
    results.steady = steady;
  }

  if (parts.has("4")) {
    console.log(`4. profile.update over HTTP (next start, signed in), ${SIZES.httpSeconds} s per rate`);
    buildPortal(values["reuse-build"]);
    const http = await measureProfileUpdates({
      db,
      databaseUrl: database.url,
      keyring,
      keyringSecret,
      people: 100,
      rates: [50, 100, 200],
      seconds: SIZES.httpSeconds,
    });
    for (const result of http) {
      const { p50, p95, p99 } = result.latencyMs;
      row(
        `4 profile.update at ${result.rate}/s`,
        `p50 ${p50} / p95 ${p95} / p99 ${p99} ms, ${result.requests} requests, ${result.errors} errors, ${result.non2xx} non-2xx`,
      );
    }
    results.http = http;
  }

  if (parts.has("5")) {
    console.log(`5. Worker peak RSS while draining ${SIZES.rss.toLocaleString("en-US")} deliveries`);
    const result = await drain("5 one worker", 1, { kind: "instant", latencyMs: 0 }, SIZES.rss);
    results.memory = result;
    // For the capacity model (docs/scaling.md): what a finished delivery leaves on disk.
    const [size] = await db.$queryRaw<Array<{ bytes: bigint; rows: bigint }>>`
      SELECT pg_total_relation_size('deliveries') AS bytes, count(*) AS rows FROM deliveries`;
    const bytesPerDelivery = Math.round(Number(size!.bytes) / Math.max(1, Number(size!.rows)));
    row("5 bytes per delivery row (table and indexes)", String(bytesPerDelivery));
    results.bytesPerDelivery = bytesPerDelivery;
  }

  if (parts.has("log")) {
    console.log(
      `log. The delivery log at ${SIZES.log.toLocaleString("en-US")} deliveries: a page of 25 per filter combination`,
    );
    const log = await measureDeliveryLog({ clusterUrl: database.url, deliveries: SIZES.log, samples: 50 });
    console.log(
      `    seeded in ${Object.entries(log.seedMs)
        .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`)
        .join(", ")}; load average ${log.load.map((load) => load.toFixed(1)).join(" → ")}`,
    );
    for (const [label, page] of Object.entries(log.pages)) {
      row(
        `log ${label}: page p50/p95 (its deliveries statement)`,
        `first ${page.first.p50}/${page.first.p95} (${page.firstQuery.p50}/${page.firstQuery.p95}) ms, ` +
          `later ${page.later.p50}/${page.later.p95} (${page.laterQuery.p50}/${page.laterQuery.p95}) ms, ${page.rows} rows`,
      );
    }
    results.deliveryLog = log;
  }

  await db.$disconnect();
  const out = path.join(import.meta.dirname, "results");
  mkdirSync(out, { recursive: true });
  // A run of some parts does not overwrite the day's full run: `<date>-only-log.json`.
  const only = values.only === DEFAULT_PARTS ? "" : `-only-${[...parts].join("-")}`;
  const file = path.join(out, `${new Date().toISOString().slice(0, 10)}${quick ? "-quick" : ""}${only}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    `\n| measure | result |\n|---|---|\n${table.map(([label, value]) => `| ${label} | ${value} |`).join("\n")}`,
  );
  console.log(`\nWritten to ${path.relative(process.cwd(), file)}`);
} finally {
  await database.stop();
  rmSync(dir, { recursive: true, force: true });
}
