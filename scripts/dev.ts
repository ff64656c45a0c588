/** `npm run dev`: database, migrations, the sandbox networks, a worker, then Next.js in development mode. */
import { runPortal } from "./lib/portal";

await runPortal("dev");
