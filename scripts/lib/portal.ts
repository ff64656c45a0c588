import { connectDatabase } from "../../server/database/connect";
import { prepareDatabase } from "../../server/database/prepare";
import { env } from "../../server/env";
import { runNext } from "./run-next";
import { connectSandbox } from "./sandbox";
import { startWorker } from "./worker";

/**
 * Everything the portal needs, then its HTTP server: the database (embedded unless
 * DATABASE_URL), migrations, the sandbox networks (SANDBOX_URL, or in development a sandbox of
 * its own; in production none without SANDBOX_URL), a worker, and Next.js in development
 * (`dev`) or production (`start`) mode. Stopping it stops them all.
 */
export async function runPortal(mode: "dev" | "start"): Promise<void> {
  const port = env.PORT;
  const database = await connectDatabase();
  const applied = await prepareDatabase(database.url);
  if (applied.length > 0) console.log(`Applied migrations: ${applied.join(", ")}`);
  const sandbox = await connectSandbox(port);
  console.log(`OneProfile: http://localhost:${port}`);
  console.log(
    sandbox
      ? `Sandbox networks (QQ, MSN, Fetion, Facebook): ${sandbox.url}`
      : "Sandbox networks: off (set SANDBOX_URL and SANDBOX_WEBHOOK_SECRET to use them).",
  );
  const serviceEnv = {
    DATABASE_URL: database.url,
    ...(sandbox ? { SANDBOX_URL: sandbox.url } : {}),
    NEXTAUTH_URL: env.NEXTAUTH_URL ?? `http://localhost:${port}`,
    NEXTAUTH_SECRET: env.NEXTAUTH_SECRET,
    ONEPROFILE_ENCRYPTION_KEY: env.ONEPROFILE_ENCRYPTION_KEY,
    ...(sandbox ? { SANDBOX_WEBHOOK_SECRET: env.SANDBOX_WEBHOOK_SECRET } : {}),
  };
  const services = [database, ...(sandbox ? [sandbox] : [])];
  const worker = startWorker(serviceEnv);
  runNext({ mode, port, services: [...services, worker], env: serviceEnv });
}
