/**
 * Part "log": the support staff's delivery log at a million rows. A database of its own in the
 * bench's cluster, seeded as the EXPLAIN test seeds it (test/delivery-log-seed.ts: 2,000 people,
 * four networks, failures clustered on one), then for each of the 16 combinations of the four
 * filters a page of 25 is fetched through `listDeliveryLog` — what the procedure calls, so the
 * time includes Prisma and its relation lookups — as a first page and as a later page (a cursor
 * at a random point of the month), and the times are reported as p50 / p95: of the whole page, and
 * of its one statement on `deliveries` (Prisma's own measure of that round trip), which is what
 * the indexes decide; the rest is Prisma and the four lookups of names by id.
 *
 * The filter values are the demanding ones: the busiest person, the largest network (qq) with the
 * state that is rare on it (FAILED), and a week in the middle of the month.
 */
import os from "node:os";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { listDeliveryLog, type TDeliveryLogFilter } from "../../server/data/deliveries";
import { prepareDatabase } from "../../server/database/prepare";
import { PrismaClient } from "../../server/generated/prisma/client";
import { seedDeliveryLog } from "../../test/delivery-log-seed";
import { percentiles } from "./steady";

const DAY = 24 * 60 * 60_000;

type TSummary = { p50: number; p95: number };

export interface TDeliveryLogResult {
  deliveries: number;
  samples: number;
  seedMs: Record<string, number>;
  /** The machine's load average (1 min) before and after the timed pages. */
  load: [number, number];
  /** Per combination (e.g. "network+state"): times in ms of the page and of its statement on deliveries. */
  pages: Record<string, { rows: number; first: TSummary; later: TSummary; firstQuery: TSummary; laterQuery: TSummary }>;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export async function measureDeliveryLog(options: {
  clusterUrl: string;
  deliveries: number;
  /** Pages timed per combination, of each kind. */
  samples: number;
}): Promise<TDeliveryLogResult> {
  const admin = new pg.Client({ connectionString: options.clusterUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS bench_delivery_log`);
  await admin.query(`CREATE DATABASE bench_delivery_log`);
  await admin.end();
  const url = new URL(options.clusterUrl);
  url.pathname = "/bench_delivery_log";
  await prepareDatabase(url.toString());
  const seedMs: Record<string, number> = {};
  const people = await seedDeliveryLog(url.toString(), {
    deliveries: options.deliveries,
    people: 2000,
    onStep: (step, ms) => (seedMs[step] = ms),
  });
  const db = new PrismaClient({
    adapter: new PrismaPg({ connectionString: url.toString() }),
    log: [{ emit: "event", level: "query" }],
  });
  let queryMs = 0;
  db.$on("query", (event) => {
    if (event.query.includes('FROM "public"."deliveries"')) queryMs += event.duration;
  });
  try {
    const load: [number, number] = [os.loadavg()[0]!, 0];
    const now = Date.now();
    const pages: TDeliveryLogResult["pages"] = {};
    for (let mask = 0; mask < 16; mask++) {
      const filter: Omit<TDeliveryLogFilter, "limit"> = {
        ...(mask & 1 ? { networkId: "qq" } : {}),
        ...(mask & 2 ? { state: "FAILED" as const } : {}),
        ...(mask & 4 ? { userId: people[0]!.id } : {}),
        ...(mask & 8 ? { from: new Date(now - 20 * DAY), to: new Date(now - 13 * DAY) } : {}),
      };
      const label =
        [mask & 1 && "network", mask & 2 && "state", mask & 4 && "person", mask & 8 && "range"]
          .filter(Boolean)
          .join("+") || "none";
      const time = async (cursor?: TDeliveryLogFilter["cursor"]) => {
        queryMs = 0;
        const started = performance.now();
        const page = await listDeliveryLog(db, { ...filter, limit: 25, ...(cursor ? { cursor } : {}) });
        return { ms: performance.now() - started, queryMs, rows: page.rows.length };
      };
      await time(); // warm: plan caches, the client's pool
      const first: number[] = [];
      const later: number[] = [];
      const firstQuery: number[] = [];
      const laterQuery: number[] = [];
      let rows = 0;
      for (let sample = 0; sample < options.samples; sample++) {
        const page = await time();
        first.push(page.ms);
        firstQuery.push(page.queryMs);
        rows = page.rows;
        // Anywhere in the month (or in the range): where "Load more" would be after some pages.
        const [from, to] = mask & 8 ? [now - 20 * DAY, now - 13 * DAY] : [now - 30 * DAY, now];
        const createdAt = new Date(from + Math.random() * (to - from));
        const next = await time({ createdAt, id: "ffffffff-ffff-4fff-bfff-ffffffffffff" });
        later.push(next.ms);
        laterQuery.push(next.queryMs);
      }
      const summary = (values: number[]) => {
        const { p50, p95 } = percentiles(values);
        return { p50: round(p50), p95: round(p95) };
      };
      pages[label] = {
        rows,
        first: summary(first),
        later: summary(later),
        firstQuery: summary(firstQuery),
        laterQuery: summary(laterQuery),
      };
    }
    load[1] = os.loadavg()[0]!;
    return { deliveries: options.deliveries, samples: options.samples, seedMs, load, pages };
  } finally {
    await db.$disconnect();
  }
}
