/**
 * `npm start` (after `npm run build`): the portal in production mode, whatever NODE_ENV says.
 * Nothing is generated here: a missing secret stops the start, named with every other one.
 */
import { existsSync } from "node:fs";
import { enterMode } from "../server/env";
import { runPortal } from "./lib/portal";

try {
  enterMode("production");
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
if (!existsSync(".next/BUILD_ID")) {
  console.error("No production build found. Run `npm run build` first.");
  process.exit(1);
}
await runPortal("start");
