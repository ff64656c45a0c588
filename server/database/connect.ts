import path from "node:path";
import { env } from "../env";
import { startEmbeddedPostgres, type TEmbeddedDatabase } from "./embedded";

/**
 * The database the launchers use: DATABASE_URL when it is set, otherwise the embedded cluster
 * under the data directory (kept across restarts).
 */
export async function connectDatabase(): Promise<TEmbeddedDatabase> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, stop: async () => {} };
  return startEmbeddedPostgres({
    dir: path.join(env.ONEPROFILE_DATA_DIR, "postgres"),
    port: env.ONEPROFILE_EMBEDDED_PG_PORT,
    persistent: true,
  });
}
