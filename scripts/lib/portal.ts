import { connectDatabase } from "../../server/database/connect";
import { prepareDatabase } from "../../server/database/prepare";
import { env } from "../../server/env";
import { runNext } from "./run-next";
import { connectSandbox } from "./sandbox";
import { startWorker } from "./worker";

/**
 * Everything the portal needs, then Next.js: the database (embedded unless DATABASE_URL),
 * migrations, the sandbox networks (unless SANDBOX_URL), a worker, and `next dev` or
 * `next start`. Stopping it stops them all.
 */
export async function runPortal(mode: "dev" | "start"): Promise<void> {
  const port = env.PORT;
  const database = await connectDatabase();
  const applied = await prepareDatabase(database.url);
  if (applied.length > 0) console.log(`Applied migrations: ${applied.join(", ")}`);
  const sandbox = await connectSandbox(port);
  console.log(`OneProfile: http://localhost:${port}`);
  console.log(`Sandbox networks (QQ, MSN, Fetion, Facebook): ${sandbox.url}`);
  const serviceEnv = {
    DATABASE_URL: database.url,
    SANDBOX_URL: sandbox.url,
    NEXTAUTH_URL: env.NEXTAUTH_URL ?? `http://localhost:${port}`,
    NEXTAUTH_SECRET: env.NEXTAUTH_SECRET,
    ONEPROFILE_ENCRYPTION_KEY: env.ONEPROFILE_ENCRYPTION_KEY,
    SANDBOX_WEBHOOK_SECRET: env.SANDBOX_WEBHOOK_SECRET,
  };
  const worker = startWorker(serviceEnv);
  runNext([mode, "--port", String(port)], { services: [database, sandbox, worker], env: serviceEnv });
}
