/**
 * The delivery log stays fast at a million rows: with 1,000,000 deliveries seeded (2,000 people,
 * four networks, failures clustered on one of them, over 30 days) and ANALYZEd, the page query the
 * data layer really sends (captured from Prisma's query events) is planned for every combination
 * of the four filters, first page and a later one, with a busy and a quiet person, a common and a
 * rare state, a large and a small network: no plan scans the table sequentially, and every plan
 * walks an index. Timings are the bench's business (`npm run bench -- --only log`), not this test's.
 *
 * Its own file, so it can be run alone: npx vitest run server/data/deliveries-explain.integration.test.ts
 */
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmptyDatabase } from "../../test/database";
import { seedDeliveryLog } from "../../test/delivery-log-seed";
import { prepareDatabase } from "../database/prepare";
import { PrismaClient } from "../generated/prisma/client";
import { listDeliveryLog, type TDeliveryLogFilter } from "./deliveries";

const DELIVERIES = 1_000_000;
const DAY = 24 * 60 * 60_000;

let url: string;
/** A client that reports every statement it sends (and its parameters). */
const loggingClient = (connectionString: string) =>
  new PrismaClient({ adapter: new PrismaPg({ connectionString }), log: [{ emit: "event", level: "query" }] });
let db: ReturnType<typeof loggingClient>;
let client: pg.Client;
let people: Array<{ id: string; email: string }>;
const sent: Array<{ query: string; params: string }> = [];

beforeAll(async () => {
  url = await createEmptyDatabase();
  await prepareDatabase(url);
  people = await seedDeliveryLog(url, { deliveries: DELIVERIES, people: 2000 });
  db = loggingClient(url);
  db.$on("query", (event) => sent.push({ query: event.query, params: event.params }));
  client = new pg.Client({ connectionString: url });
  await client.connect();
}, 300_000);

afterAll(async () => {
  await client?.end();
  await db?.$disconnect();
});

interface TPlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Relation Name"?: string;
  Plans?: TPlanNode[];
}
const nodesOf = (node: TPlanNode): TPlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];
const INDEX_SCANS = new Set(["Index Scan", "Index Only Scan", "Bitmap Index Scan"]);

/** Every node of a statement's plan. */
async function planOf(query: string, params: unknown[]): Promise<TPlanNode[]> {
  const result = await client.query<{ "QUERY PLAN": Array<{ Plan: TPlanNode }> }>(
    `EXPLAIN (FORMAT JSON) ${query}`,
    params,
  );
  return nodesOf(result.rows[0]!["QUERY PLAN"][0]!.Plan);
}

/** Runs one page of the log and returns the plan of every statement it sent to `table`. */
async function plansOf(filter: TDeliveryLogFilter, table: string) {
  sent.length = 0;
  const page = await listDeliveryLog(db, filter);
  const statements = sent.filter((statement) => statement.query.includes(`FROM "public"."${table}"`));
  expect(statements.length, `a statement on ${table}`).toBeGreaterThan(0);
  const plans = [];
  // The same text and the same parameter values, planned as Postgres plans them for the page.
  for (const statement of statements)
    plans.push(await planOf(statement.query, JSON.parse(statement.params) as unknown[]));
  return { page, plans };
}

describe("the delivery log at a million rows", () => {
  it("is seeded as asked: a million deliveries, every network and state, a busy and a quiet person", async () => {
    const { rows } = await client.query<{ network_id: string; state: string; count: string }>(
      `SELECT network_id, state, count(*) AS count FROM deliveries GROUP BY network_id, state`,
    );
    // A few seeded draws fall on no (person, network, revision); nearly all land.
    expect(rows.reduce((total, row) => total + Number(row.count), 0)).toBeGreaterThan(DELIVERIES * 0.99);
    expect(new Set(rows.map((row) => row.network_id)).size).toBe(4);
    expect(new Set(rows.map((row) => row.state)).size).toBe(7);
    const counts = await client.query<{ count: string }>(
      `SELECT count(*) AS count FROM deliveries WHERE user_id = ANY($1::uuid[]) GROUP BY user_id ORDER BY count DESC`,
      [[people[0]!.id, people.at(-1)!.id]],
    );
    expect(Number(counts.rows[0]!.count)).toBeGreaterThan(10_000);
    expect(Number(counts.rows[1]!.count)).toBeLessThan(1_000);
  });

  it("sees a sequential scan where there is one (the check below is not vacuous)", async () => {
    const types = (
      await planOf(`SELECT id FROM deliveries WHERE attempts > $1 ORDER BY attempts DESC LIMIT 26`, [1])
    ).map((node) => node["Node Type"]);
    expect(types).toContain("Seq Scan");
  });

  it("walks an index, never the whole table, for every combination of the filters, first page and later", async () => {
    const busy = people[0]!.id;
    const quiet = people[Math.floor(people.length * 0.7)]!.id;
    const now = Date.now();
    const range = { from: new Date(now - 20 * DAY), to: new Date(now - 13 * DAY) };
    let planned = 0;
    for (let mask = 0; mask < 16; mask++) {
      const variants: Array<Omit<TDeliveryLogFilter, "limit">> = [];
      for (const networkId of mask & 1 ? ["qq", "facebook"] : [undefined])
        for (const state of mask & 2 ? (["FAILED", "DELIVERED"] as const) : [undefined])
          for (const userId of mask & 4 ? [busy, quiet] : [undefined])
            variants.push({
              ...(networkId ? { networkId } : {}),
              ...(state ? { state } : {}),
              ...(userId ? { userId } : {}),
              ...(mask & 8 ? range : {}),
            });
      for (const filter of variants) {
        const first = await plansOf({ ...filter, limit: 25 }, "deliveries");
        // A later page: where the first one ended, or (a page short of results) the middle of the month.
        const cursor = first.page.nextCursor ?? {
          createdAt: new Date(now - 16 * DAY),
          id: "ffffffff-ffff-4fff-bfff-ffffffffffff",
        };
        const later = await plansOf({ ...filter, limit: 25, cursor }, "deliveries");
        for (const [which, plans] of [
          ["first page", first.plans],
          ["later page", later.plans],
        ] as const) {
          const label = `${which} of ${JSON.stringify({ ...filter, userId: filter.userId && (filter.userId === busy ? "busy" : "quiet") })}`;
          for (const nodes of plans) {
            const types = nodes.map((node) => node["Node Type"]);
            expect(types, label).not.toContain("Seq Scan");
            expect(
              nodes.some((node) => INDEX_SCANS.has(node["Node Type"]) && node["Index Name"]?.startsWith("deliveries_")),
              `${label}: ${types.join(" > ")}`,
            ).toBe(true);
            planned++;
          }
        }
      }
    }
    // 16 combinations, 54 filter variants, two pages each.
    expect(planned).toBe(108);
  });

  it("finds the person named by email through the unique index", async () => {
    const { page, plans } = await plansOf({ email: people[0]!.email.toUpperCase(), limit: 25 }, "users");
    expect(page.rows).toHaveLength(25);
    expect(plans[0]!.map((node) => node["Index Name"])).toContain("users_email_key");
    expect(plans[0]!.map((node) => node["Node Type"])).not.toContain("Seq Scan");
  });
});
