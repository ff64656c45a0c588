/**
 * Prometheus metrics: one registry per process (the portal, each worker), served behind
 * `METRICS_TOKEN` at `/api/metrics` (portal) and on `WORKER_METRICS_PORT` (worker).
 *
 * Beside the counters of this process, gauges read at scrape time from the database, through the
 * definitions the admin dashboard uses (server/data/metrics.ts): the queue now, and the last
 * finished minute of the rollup the workers write — the same figures, counted one way.
 *
 * Every label takes its values from a bounded set: networks and job kinds come from our own
 * rows, procedures from the router, outcomes, results and statuses from code; nothing a caller
 * types becomes a label, so no secret can either.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { DELIVERY_RESULTS, readLastMinute, readQueue, type TLastMinute, type TQueueNow } from "./data/metrics";
import { db as processDb, type TDb } from "./db";
import { INBOUND_EVENT, SYNC_ACCOUNT } from "./dispatch/queue";
import { logError } from "./log";

/** How a sync job's recorded run ended for its account's open entries. */
export type TDeliveryOutcome =
  /** The vendor confirmed the write. */
  | "delivered"
  /** Nothing was owed: its entries settled (delivered or superseded) from what it shows. */
  | "settled"
  /** The vendor refused a value for good (its content): recorded, not sent again until it changes. */
  | "refused"
  /** A transient failure: tried again later. */
  | "retry"
  /** Given up (attempts used up, password refused or unreadable): dead-lettered. */
  | "dead"
  /** Not sent: the account needs linking again. */
  | "failed"
  /** Not sent: the network is switched off or has no connector. */
  | "skipped";

/** What became of a webhook. */
export type TInboundOutcome = "accepted" | "duplicate" | "rejected" | "error";

interface TMetrics {
  registry: Registry;
  deliveries: Counter<"network" | "outcome">;
  vendorAttemptSeconds: Histogram<"network">;
  inboundEvents: Counter<"network" | "outcome">;
  httpRequestSeconds: Histogram<"route" | "status">;
  queueDepth: Gauge<"kind">;
  oldestDueSeconds: Gauge;
  minute: Gauge;
  minuteDeliveries: Gauge<"network" | "result">;
  minuteSuccessRatio: Gauge;
  minuteInboundEvents: Gauge<"network">;
  minuteQueueDepth: Gauge;
  minuteOldestDueSeconds: Gauge;
  /** The database the gauges read at scrape time (tests point it at theirs). */
  queueDb: TDb;
}

/**
 * A reading shared by the gauges it fills: the registry collects its metrics at once, so the later
 * collects find the first one's query still running and share it. A failure is logged and read as
 * null: the rest of the metrics still serve while the database is away.
 */
function sharedReading<T>(what: string, read: () => Promise<T>): () => Promise<T | null> {
  let reading: Promise<T | null> | null = null;
  return () =>
    (reading ??= read()
      .catch((error: unknown) => {
        logError(`metrics: ${what}`, error, "warn");
        return null;
      })
      .finally(() => {
        reading = null;
      }));
}

function createMetrics(): TMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // Both queue gauges are filled from one query per scrape, the rollup's from one reading.
  const readOnce = sharedReading<TQueueNow>("queue gauges", () => readQueue(metrics.queueDb));
  const readMinute = sharedReading<TLastMinute | null>("rollup gauges", () => readLastMinute(metrics.queueDb));
  /** Sets a rollup gauge from the last minute; a figure nobody knows is absent (0 would be a reading). */
  const fromMinute = async (gauge: Gauge<string>, set: (minute: TLastMinute) => void) => {
    const minute = await readMinute();
    gauge.reset();
    // An unlabelled gauge resets to 0, not to nothing.
    gauge.remove({});
    if (minute) set(minute);
  };

  const metrics: TMetrics = {
    registry,
    queueDb: processDb,
    deliveries: new Counter({
      name: "oneprofile_deliveries_total",
      help: "Sync runs recorded per account, by network and outcome (delivered, settled, refused, retry, dead, failed, skipped).",
      labelNames: ["network", "outcome"],
      registers: [registry],
    }),
    vendorAttemptSeconds: new Histogram({
      name: "oneprofile_vendor_attempt_seconds",
      help: "Duration of vendor calls that apply a profile write, by network (failures and timeouts included).",
      labelNames: ["network"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    inboundEvents: new Counter({
      name: "oneprofile_inbound_events_total",
      help: "Webhooks received from networks, by network and outcome (accepted, duplicate, rejected, error).",
      labelNames: ["network", "outcome"],
      registers: [registry],
    }),
    httpRequestSeconds: new Histogram({
      name: "oneprofile_http_request_seconds",
      help: "Portal API requests until their response starts, by tRPC procedure and HTTP status.",
      labelNames: ["route", "status"],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "oneprofile_jobs_queue_depth",
      help: "Jobs pending and due now, by kind.",
      labelNames: ["kind"],
      registers: [registry],
      async collect() {
        const stats = await readOnce();
        this.reset();
        if (!stats) return;
        for (const kind of new Set([SYNC_ACCOUNT, INBOUND_EVENT, ...stats.depth.keys()])) {
          this.set({ kind }, stats.depth.get(kind) ?? 0);
        }
      },
    }),
    oldestDueSeconds: new Gauge({
      name: "oneprofile_jobs_oldest_due_seconds",
      help: "How long the oldest due job has been waiting (0 when none is due).",
      registers: [registry],
      async collect() {
        const stats = await readOnce();
        this.reset();
        if (stats) this.set(stats.oldestDueMs / 1000);
      },
    }),
    minute: new Gauge({
      name: "oneprofile_minute_timestamp_seconds",
      help: "The start of the last finished minute the rollup covers, which the oneprofile_minute_* gauges describe (absent: none in the last hour).",
      registers: [registry],
      async collect() {
        await fromMinute(this, (minute) => this.set(minute.at.getTime() / 1000));
      },
    }),
    minuteDeliveries: new Gauge({
      name: "oneprofile_minute_deliveries",
      help: "Deliveries in the rollup's last finished minute, by network and result (delivered, failed for good, retried).",
      labelNames: ["network", "result"],
      registers: [registry],
      async collect() {
        await fromMinute(this, (minute) => {
          for (const counts of minute.counts) {
            for (const result of DELIVERY_RESULTS) this.set({ network: counts.networkId, result }, counts[result]);
          }
        });
      },
    }),
    minuteSuccessRatio: new Gauge({
      name: "oneprofile_minute_delivery_success_ratio",
      help: "Of the deliveries that ended in the rollup's last finished minute (delivered or failed for good), the share delivered (absent: none ended).",
      registers: [registry],
      async collect() {
        await fromMinute(this, (minute) => {
          if (minute.successRate !== null) this.set(minute.successRate);
        });
      },
    }),
    minuteInboundEvents: new Gauge({
      name: "oneprofile_minute_inbound_events",
      help: "Network reports received in the rollup's last finished minute, by network.",
      labelNames: ["network"],
      registers: [registry],
      async collect() {
        await fromMinute(this, (minute) => {
          for (const counts of minute.counts) this.set({ network: counts.networkId }, counts.inbound);
        });
      },
    }),
    minuteQueueDepth: new Gauge({
      name: "oneprofile_minute_queue_depth",
      help: "The deepest the queue of due jobs was sampled in the rollup's last finished minute.",
      registers: [registry],
      async collect() {
        await fromMinute(this, (minute) => {
          if (minute.queueDepth !== null) this.set(minute.queueDepth);
        });
      },
    }),
    minuteOldestDueSeconds: new Gauge({
      name: "oneprofile_minute_oldest_due_seconds",
      help: "The longest a due job was sampled waiting in the rollup's last finished minute.",
      registers: [registry],
      async collect() {
        await fromMinute(this, (minute) => {
          if (minute.oldestDueMs !== null) this.set(minute.oldestDueMs / 1000);
        });
      },
    }),
  };
  return metrics;
}

// One registry per process, also across Next.js dev hot reloads (a metric name registers once).
const globalForMetrics = globalThis as unknown as { oneprofileMetrics?: TMetrics };

/** The process's metrics. */
export const metrics: TMetrics = (globalForMetrics.oneprofileMetrics ??= createMetrics());

/** Points the database gauges at another database (tests); the process's own by default. */
export function setQueueDatabase(db: TDb): void {
  metrics.queueDb = db;
}

/** Times one vendor call, its failures and timeouts included. */
export async function timeVendorCall<T>(network: string, call: () => Promise<T>): Promise<T> {
  const end = metrics.vendorAttemptSeconds.startTimer({ network });
  try {
    return await call();
  } finally {
    end();
  }
}

/**
 * The procedures a tRPC request URL names, for the `route` label: a batch names several (its
 * request counts once under each), a name the router does not know counts as "unknown".
 */
export function procedureLabels(url: string, endpoint: string, known: ReadonlySet<string>): string[] {
  const { pathname } = new URL(url);
  const names = pathname.startsWith(`${endpoint}/`) ? pathname.slice(endpoint.length + 1) : "";
  let decoded: string;
  try {
    decoded = decodeURIComponent(names);
  } catch {
    decoded = "";
  }
  return [...new Set(decoded.split(",").map((name) => (known.has(name) ? name : "unknown")))];
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Whether the Authorization header carries the token; compares in constant time. */
export function isMetricsAuthorized(authorization: string | null | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  // Digests have one length whatever was sent, so the comparison time says nothing about the token.
  return timingSafeEqual(digest(match?.[1] ?? ""), digest(token)) && match !== null;
}

export interface TMetricsAnswer {
  status: 200 | 401 | 404;
  headers: Record<string, string>;
  body: string;
}

const PLAIN_TEXT = { "content-type": "text/plain; charset=utf-8" };
const NOT_FOUND: TMetricsAnswer = { status: 404, headers: PLAIN_TEXT, body: "Not found.\n" };

/**
 * A scrape: 404 when metrics are off (no token configured), as if there were no such page;
 * 401 without the right bearer token; else the registry in Prometheus' text format.
 */
export async function scrapeMetrics(
  authorization: string | null | undefined,
  token: string | undefined,
): Promise<TMetricsAnswer> {
  if (!token) return NOT_FOUND;
  if (!isMetricsAuthorized(authorization, token)) {
    return {
      status: 401,
      headers: { ...PLAIN_TEXT, "www-authenticate": 'Bearer realm="metrics"' },
      body: "A valid bearer token is required.\n",
    };
  }
  return {
    status: 200,
    headers: { "content-type": metrics.registry.contentType, "cache-control": "no-store" },
    body: await metrics.registry.metrics(),
  };
}

/** Serves `GET /metrics` on its own port (the worker has no other HTTP server). */
export async function serveMetrics(options: {
  port: number;
  host: string;
  token: string | undefined;
}): Promise<Server> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const answer =
      request.method === "GET" && path === "/metrics"
        ? scrapeMetrics(request.headers.authorization, options.token)
        : Promise.resolve(NOT_FOUND);
    answer
      .then(({ status, headers, body }) => response.writeHead(status, headers).end(body))
      .catch((error: unknown) => {
        logError("metrics: scrape", error);
        response.writeHead(500).end();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}
