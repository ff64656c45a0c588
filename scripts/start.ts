/** `npm start` (after `npm run build`): validate configuration, then as `dev` but with `next start`. */
import { existsSync } from "node:fs";
import { env } from "../server/env";
import { runPortal } from "./lib/portal";

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
await runPortal("start");
