/**
 * `npm run bench`: fan-out throughput and latency on real parts — embedded Postgres, the
 * sandbox vendor process, one in-process worker. Prints deliveries per second and the time
 * from saving a change to each delivery (p50/p95/max). Loopback only; bounded; stops itself.
 *
 *   npm run bench -- --users 40 --concurrency 8
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startSandboxProcess } from "../sandbox/process";
import { createConnectorResolver } from "../server/connectors/registry";
import { createKeyring } from "../server/crypto/secrets";
import { freePort, startEmbeddedPostgres } from "../server/database/embedded";
import { prepareDatabase } from "../server/database/prepare";
import { createDb } from "../server/db";
import { createWorker } from "../server/dispatch/worker";
import { updateProfile } from "../server/profile/update";
import { linkAccount } from "../server/registration/link";

const { values } = parseArgs({
  options: { users: { type: "string", default: "30" }, concurrency: { type: "string", default: "8" } },
});
const USERS = Number(values.users);
const CONCURRENCY = Number(values.concurrency);
const NETWORKS = ["qq", "msn", "fetion"] as const;

const dir = mkdtempSync(path.join(os.tmpdir(), "oneprofile-bench-"));
const database = await startEmbeddedPostgres({
  dir: path.join(dir, "pg"),
  port: await freePort(),
  persistent: false,
  quiet: true,
});
const sandbox = await startSandboxProcess({ dataDir: path.join(dir, "sandbox"), onOutput: () => {} });
try {
  await prepareDatabase(database.url);
  const db = createDb(database.url);
  const keyring = createKeyring(`bench:${randomBytes(32).toString("base64")}`, undefined);
  const connectors = createConnectorResolver({ sandboxUrl: sandbox.url });

  const userIds: string[] = [];
  for (let u = 0; u < USERS; u++) {
    const user = await db.user.create({ data: { email: `bench${u}@example.com`, passwordHash: "x" } });
    const logins = {
      qq: String(100_000 + u),
      msn: `bench${u}@msn.example`,
      fetion: `1390000${String(u).padStart(4, "0")}`,
    };
    for (const network of NETWORKS) {
      await fetch(`${sandbox.url}/__admin/${network}/accounts`, {
        method: "POST",
        body: JSON.stringify({ login: logins[network], password: "bench-password" }),
      });
      await linkAccount({ db, connectors, keyring }, user.id, {
        networkId: network,
        login: logins[network],
        secret: "bench-password",
      });
    }
    userIds.push(user.id);
  }

  const worker = createWorker({
    db,
    databaseUrl: database.url,
    connectors,
    keyring,
    concurrency: CONCURRENCY,
    leaseMs: 60_000,
    retryBaseMs: 1000,
  });
  // Linking sent each new account the profile imported from the first: settle that first.
  while ((await worker.drain()) > 0);
  const since = new Date();
  await worker.start();
  const started = performance.now();
  for (const [index, userId] of userIds.entries()) {
    await updateProfile(db, {
      userId,
      changes: { signature: `bench signature ${index} ✨`, mood: "happy" },
      source: "portal",
    });
  }
  const enqueuedMs = performance.now() - started;
  const total = USERS * NETWORKS.length;
  const deadline = Date.now() + 5 * 60_000;
  const ofTheSaves = { createdAt: { gte: since } };
  while ((await db.delivery.count({ where: { ...ofTheSaves, state: "DELIVERED" } })) < total && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const elapsedMs = performance.now() - started;
  await worker.stop();
  const deliveries = await db.delivery.findMany({
    where: ofTheSaves,
    include: { revision: { select: { createdAt: true } } },
  });
  const latencies = deliveries
    .filter((d) => d.deliveredAt)
    .map((d) => d.deliveredAt!.getTime() - d.revision.createdAt.getTime())
    .sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  console.log(
    JSON.stringify(
      {
        users: USERS,
        deliveries: total,
        delivered: latencies.length,
        workerConcurrency: CONCURRENCY,
        enqueueMs: Math.round(enqueuedMs),
        totalMs: Math.round(elapsedMs),
        deliveriesPerSecond: Number((latencies.length / (elapsedMs / 1000)).toFixed(1)),
        saveToDeliveredMs: { p50: pct(50), p95: pct(95), max: latencies.at(-1) },
      },
      null,
      2,
    ),
  );
  await db.$disconnect();
} finally {
  await sandbox.stop();
  await database.stop();
  rmSync(dir, { recursive: true, force: true });
}
