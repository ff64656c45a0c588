/** `npm run worker`: the interface server as its own process (run N of them against one Postgres). */
import { processConnectors } from "../connectors/process";
import { processKeyring } from "../crypto/keyring";
import { db } from "../db";
import { env } from "../env";
import { createWorker } from "./worker";

if (!env.DATABASE_URL) {
  console.error("DATABASE_URL is not set. `npm run dev` starts a worker for you; alone, point it at your database.");
  process.exit(1);
}
const worker = createWorker({
  db,
  databaseUrl: env.DATABASE_URL,
  connectors: processConnectors(),
  keyring: processKeyring(),
  concurrency: env.WORKER_CONCURRENCY,
  leaseMs: env.WORKER_LEASE_MS,
  retryBaseMs: env.WORKER_RETRY_BASE_MS,
  sweepMs: env.WORKER_SWEEP_MS,
  quarantineBaseMs: env.WORKER_QUARANTINE_MS,
});
await worker.start();
console.log(`Worker started (concurrency ${env.WORKER_CONCURRENCY}).`);

// SIGTERM: claim nothing new, let running jobs finish (up to 30 s), then exit cleanly.
let isStopping = false;
const stop = async () => {
  if (isStopping) return;
  isStopping = true;
  await worker.stop();
  await db.$disconnect();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
