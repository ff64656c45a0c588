/** `npm run dev`: database, migrations, the sandbox networks, a worker, then Next.js in development mode. */
import { enterMode } from "../server/env";
import { runPortal } from "./lib/portal";

try {
  // Development whatever NODE_ENV the shell exports: dev secrets, the sandbox networks, one mode
  // for the portal and its worker.
  enterMode("development");
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
await runPortal("dev");
