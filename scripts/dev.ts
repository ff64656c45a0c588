/** `npm run dev`: database (embedded unless DATABASE_URL), migrations, the sandbox, the worker, then `next dev`. */
import { connectDatabase } from "../server/database/connect";
import { prepareDatabase } from "../server/database/prepare";
import { env } from "../server/env";
import { runNext } from "./lib/run-next";
import { connectSandbox } from "./lib/sandbox";
import { startWorker } from "./lib/worker";

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
runNext(["dev", "--port", String(port)], { services: [database, sandbox, worker], env: serviceEnv });
