import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["{server,app,scripts,sandbox}/**/*.test.{ts,tsx}"],
    // One real PostgreSQL cluster for the run (a fresh temporary one); each integration test
    // file takes a fresh database in it, so files never share state.
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
