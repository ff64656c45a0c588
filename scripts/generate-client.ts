/**
 * `prisma generate`, offline. Prisma's CLI insists on locating its native schema engine even
 * though generating the client never runs it, and it cannot download one here; pointing
 * PRISMA_SCHEMA_ENGINE_BINARY at any existing file satisfies that check (see STACK.md).
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { childEnv } from "../server/env";

const require = createRequire(import.meta.url);
const cli = require.resolve("prisma/build/index.js");
const result = spawnSync(process.execPath, [cli, "generate"], {
  stdio: "inherit",
  env: childEnv({
    PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
  }),
});
process.exit(result.status ?? 1);
