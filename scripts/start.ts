/** `npm start` (after `npm run build`): validate configuration, migrate, then `next start`. */
import { existsSync } from "node:fs";
import { connectDatabase } from "../server/database/connect";
import { migrate } from "../server/database/migrate";
import { env } from "../server/env";
import { runNext } from "./lib/run-next";

try {
  // Reading the secrets validates the configuration: in production a missing one stops here.
  void env.NEXTAUTH_SECRET;
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
if (!existsSync(".next/BUILD_ID")) {
  console.error("No production build found. Run `npm run build` first.");
  process.exit(1);
}
const port = String(env.PORT);
const database = await connectDatabase();
await migrate(database.url);
runNext(["start", "--port", port], database, {
  NEXTAUTH_URL: env.NEXTAUTH_URL ?? `http://localhost:${port}`,
  NEXTAUTH_SECRET: env.NEXTAUTH_SECRET,
});
