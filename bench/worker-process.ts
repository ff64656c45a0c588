/**
 * One worker process for the bench: the real worker (`createWorker`) over the in-process
 * connector or the sandbox vendor. Stops on SIGTERM and prints its peak RSS as one JSON line;
 * with --calls <file> it writes there when each signature was first sent (latency measurements).
 *
 *   tsx bench/worker-process.ts --database <url> --key <keyring> --connector instant --latency 0
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createConnectorResolver } from "../server/connectors/registry";
import { createKeyring } from "../server/crypto/secrets";
import { createDb } from "../server/db";
import { createWorker } from "../server/dispatch/worker";
import { instantConnectors } from "./lib/instant-connector";

const { values } = parseArgs({
  options: {
    database: { type: "string" },
    key: { type: "string" },
    connector: { type: "string", default: "instant" },
    latency: { type: "string", default: "0" },
    sandbox: { type: "string" },
    concurrency: { type: "string", default: "32" },
    batch: { type: "string", default: "64" },
    calls: { type: "string" },
  },
});
/** When each signature was first sent (any account): the steady-load run's "first attempt". */
const firstSent = new Map<string, number>();
const connectors =
  values.connector === "sandbox"
    ? createConnectorResolver({ sandbox: { url: values.sandbox!, webhookSecret: "bench-worker-sends-only" } })
    : instantConnectors({
        latencyMs: Number(values.latency),
        ...(values.calls
          ? {
              onApply: ({ signature }: { signature?: string }) => {
                if (signature !== undefined && !firstSent.has(signature)) firstSent.set(signature, Date.now());
              },
            }
          : {}),
      });
const db = createDb(values.database!);
const worker = createWorker({
  db,
  databaseUrl: values.database!,
  connectors,
  keyring: createKeyring(values.key!, undefined),
  concurrency: Number(values.concurrency),
  batchSize: Number(values.batch),
  leaseMs: 60_000,
  retryBaseMs: 1000,
  pollMs: 200,
});
await worker.start();
process.stdout.write(`${JSON.stringify({ started: true })}\n`);
process.on("SIGTERM", () => {
  void (async () => {
    await worker.stop();
    await db.$disconnect();
    if (values.calls) writeFileSync(values.calls, JSON.stringify([...firstSent]));
    process.stdout.write(`${JSON.stringify({ maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
    process.exit(0);
  })();
});
