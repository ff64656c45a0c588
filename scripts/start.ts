/** `npm start` (after `npm run build`): validate configuration, migrate, sandbox, worker, then `next start`. */
import { existsSync } from "node:fs";
import { connectDatabase } from "../server/database/connect";
import { prepareDatabase } from "../server/database/prepare";
import { env } from "../server/env";
import { runNext } from "./lib/run-next";
import { connectSandbox } from "./lib/sandbox";
import { startWorker } from "./lib/worker";

try {
  // Reading a secret validates the whole configuration: in production a missing one stops here.
  void env.NEXTAUTH_SECRET;
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
if (!existsSync(".next/BUILD_ID")) {
  console.error("No production build found. Run `npm run build` first.");
  process.exit(1);
}
const port = env.PORT;
const database = await connectDatabase();
await prepareDatabase(database.url);
const sandbox = await connectSandbox(port);
const serviceEnv = {
  DATABASE_URL: database.url,
  SANDBOX_URL: sandbox.url,
  NEXTAUTH_URL: env.NEXTAUTH_URL ?? `http://localhost:${port}`,
  NEXTAUTH_SECRET: env.NEXTAUTH_SECRET,
  ONEPROFILE_ENCRYPTION_KEY: env.ONEPROFILE_ENCRYPTION_KEY,
  SANDBOX_WEBHOOK_SECRET: env.SANDBOX_WEBHOOK_SECRET,
};
const worker = startWorker(serviceEnv);
runNext(["start", "--port", String(port)], { services: [database, sandbox, worker], env: serviceEnv });
