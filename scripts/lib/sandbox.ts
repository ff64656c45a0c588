import path from "node:path";
import { startSandboxProcess, type TSandboxProcess } from "../../sandbox/process";
import { env } from "../../server/env";

/**
 * The sandbox for `npm run dev` / `npm start`: SANDBOX_URL when set (someone runs their own),
 * otherwise a sandbox process on SANDBOX_PORT with its state under the data directory, pushing
 * its webhooks to this portal.
 */
export async function connectSandbox(portalPort: number): Promise<TSandboxProcess> {
  if (env.SANDBOX_URL) return { url: env.SANDBOX_URL, stop: async () => {} };
  return startSandboxProcess({
    dataDir: path.join(env.ONEPROFILE_DATA_DIR, "sandbox"),
    port: env.SANDBOX_PORT,
    webhookUrl: `http://127.0.0.1:${portalPort}/api/webhooks/sandbox`,
    webhookSecret: env.SANDBOX_WEBHOOK_SECRET,
  });
}
