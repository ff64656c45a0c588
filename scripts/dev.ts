/** `npm run dev`: database, migrations, the sandbox networks, a worker, then `next dev`. */
import { runPortal } from "./lib/portal";

await runPortal("dev");
