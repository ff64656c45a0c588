import path from "node:path";
import { startSandboxProcess, type TSandboxProcess } from "../../sandbox/process";
import { env } from "../../server/env";

/**
 * The sandbox for `npm run dev` / `npm start`: SANDBOX_URL when set (someone runs their own),
 * otherwise in development a sandbox process on SANDBOX_PORT with its state under the data
 * directory, pushing its webhooks to this portal; in production none (the networks are off).
 */
export async function connectSandbox(portalPort: number): Promise<TSandboxProcess | undefined> {
  if (env.SANDBOX_URL) return { url: env.SANDBOX_URL, stop: async () => {} };
  if (!env.IS_SANDBOX_ENABLED) return undefined;
  return startSandboxProcess({
    dataDir: path.join(env.ONEPROFILE_DATA_DIR, "sandbox"),
    port: env.SANDBOX_PORT,
    webhookUrl: `http://127.0.0.1:${portalPort}/api/webhooks`,
    webhookSecret: env.SANDBOX_WEBHOOK_SECRET,
  });
}
