import path from "node:path";
import { defineConfig } from "vitest/config";

/** The pure sync core's unit tests alone, without the database (Stryker's runs, stryker.config.mjs). */
export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: { include: ["server/sync/**/*.test.ts"] },
});
