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
    // The fault suite restarts its own Postgres on purpose; the test process's own connections
    // (its webhook receiver's transactions, idle pooled clients) then fail once with the server's
    // shutdown message. Every other unhandled error still fails the run.
    onUnhandledError(error) {
      const text = `${String(error.message)} ${JSON.stringify(error)}`;
      if (
        /not queryable|Connection terminated unexpectedly|terminating connection due to administrator command|57P01/.test(
          text,
        )
      ) {
        return false;
      }
    },
    hookTimeout: 60_000,
  },
});
