/** `npm run worker`: the interface server as its own process (run N of them against one Postgres). */
import { processConnectors } from "../connectors/process";
import { processKeyring } from "../crypto/keyring";
import { db } from "../db";
import { env } from "../env";
import { logger } from "../log";
import { serveMetrics } from "../metrics";
import { countRecorded } from "./delivery-metrics";
import { cleanupJob } from "./jobs/cleanup";
import { metricMinutesJob } from "./jobs/metric-minutes";
import { createWorker } from "./worker";

if (!env.DATABASE_URL) {
  logger.fatal("DATABASE_URL is not set. `npm run dev` starts a worker for you; alone, point it at your database.");
  process.exit(1);
}
const worker = createWorker({
  db,
  databaseUrl: env.DATABASE_URL,
  connectors: processConnectors(),
  keyring: processKeyring(),
  concurrency: env.WORKER_CONCURRENCY,
  batchSize: env.WORKER_BATCH_SIZE,
  leaseMs: env.WORKER_LEASE_MS,
  retryBaseMs: env.WORKER_RETRY_BASE_MS,
  sweepMs: env.WORKER_SWEEP_MS,
  quarantineBaseMs: env.WORKER_QUARANTINE_MS,
  readBack: { maxEveryMs: env.WORKER_READBACK_MAX_MS, perMinute: env.WORKER_READBACKS_PER_MINUTE },
  onRecorded: countRecorded,
  scheduled: [cleanupJob({ deliveryRetentionDays: env.DELIVERY_RETENTION_DAYS }), metricMinutesJob()],
});
await worker.start();
logger.info(`Worker started (concurrency ${env.WORKER_CONCURRENCY}, batch ${env.WORKER_BATCH_SIZE}).`);
// Prometheus metrics on a port of its own, behind the same token as the portal's /api/metrics.
const metricsServer = env.WORKER_METRICS_PORT
  ? await serveMetrics({ port: env.WORKER_METRICS_PORT, host: env.WORKER_METRICS_HOST, token: env.METRICS_TOKEN })
  : null;
if (metricsServer) {
  if (!env.METRICS_TOKEN) logger.warn("WORKER_METRICS_PORT is set but METRICS_TOKEN is not: /metrics answers 404.");
  logger.info(`Worker metrics on http://${env.WORKER_METRICS_HOST}:${env.WORKER_METRICS_PORT}/metrics`);
}

// SIGTERM: claim nothing new, let running jobs finish (up to 30 s), then exit cleanly.
let isStopping = false;
const stop = async () => {
  if (isStopping) return;
  isStopping = true;
  await worker.stop();
  metricsServer?.close();
  await db.$disconnect();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
