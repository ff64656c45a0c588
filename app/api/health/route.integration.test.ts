/** The health route over its handler: 200 while the database answers, 503 when it does not. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { createEmptyDatabase } from "@/test/database";

/** The route as a fresh process would load it, with this database. */
async function loadRoute(databaseUrl: string) {
  vi.resetModules();
  vi.stubEnv("DATABASE_URL", databaseUrl);
  return import("./route");
}

afterEach(async () => {
  await (await import("@/server/db")).db.$disconnect();
  // server/db keeps its client on globalThis (it outlives dev hot reloads): the next load starts anew.
  delete (globalThis as { oneprofilePrisma?: unknown }).oneprofilePrisma;
  vi.unstubAllEnvs();
});

describe("GET /api/health", () => {
  it("is 200 ok while the database answers", async () => {
    const { GET } = await loadRoute(await createEmptyDatabase());
    const response = await GET();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("is 503 unavailable when the database does not answer", async () => {
    const url = new URL(await createEmptyDatabase());
    url.pathname = "/no_such_database";
    const { GET } = await loadRoute(url.toString());
    const response = await GET();
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "unavailable" });
  });
});
