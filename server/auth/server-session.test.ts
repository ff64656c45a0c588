/**
 * getServerAuthSession as pages and tRPC use it: what they get when next-auth could not check the
 * session against the database, and one check per request. next-auth's getServerSession (tested
 * with a real database in next-auth.integration.test.ts) is replaced by what it returns.
 */
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { Session } from "next-auth";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { appRouter } from "../api/root";
import { createTRPCContext } from "../api/trpc";
import { getServerAuthSession, SessionUnavailableError } from "./options";

const next = vi.hoisted(() => ({ session: null as Session | null, reads: 0, caches: [] as Map<string, unknown>[] }));

vi.mock("next-auth", async (importOriginal) => ({
  ...(await importOriginal<typeof import("next-auth")>()),
  getServerSession: async () => {
    next.reads++;
    return next.session;
  },
}));
vi.mock("next/server", async (importOriginal) => ({
  ...(await importOriginal<typeof import("next/server")>()),
  connection: async () => {},
}));
// React's cache() memoizes for the length of one server request; outside React's server build it
// does nothing. This stands in for it: every test is one request.
vi.mock("react", async (importOriginal) => ({
  ...(await importOriginal<typeof import("react")>()),
  cache: <T>(fn: () => T) => {
    const memo = new Map<string, T>();
    next.caches.push(memo);
    return () => {
      if (!memo.has("")) memo.set("", fn());
      return memo.get("")!;
    };
  },
}));

const user = { id: "0b6a3c1e-4a7f-4d2b-9a57-2f1c3b4d5e6f", email: "ada@example.com", role: "USER" as const };
const expires = new Date(Date.now() + 3600_000).toISOString();

beforeEach(() => {
  next.reads = 0;
  for (const memo of next.caches) memo.clear();
});

describe("getServerAuthSession", () => {
  it("returns a checked session, and checks it once however many layouts and pages ask", async () => {
    next.session = { user, expires };
    await expect(getServerAuthSession()).resolves.toEqual({ user, expires });
    await expect(getServerAuthSession()).resolves.toEqual({ user, expires });
    expect(next.reads).toBe(1);
  });

  it("throws for a session that could not be checked (the page shows its error), never returns it", async () => {
    next.session = { user, expires, unverified: true };
    await expect(getServerAuthSession()).rejects.toBeInstanceOf(SessionUnavailableError);
  });

  it("makes tRPC answer 503 for a session that could not be checked, not 401", async () => {
    next.session = { user, expires, unverified: true };
    const headers = new Headers({ "content-type": "application/json" });
    const response = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req: new Request("http://localhost/api/trpc/auth.signOutEverywhere", { method: "POST", headers, body: "{}" }),
      router: appRouter,
      createContext: () => createTRPCContext({ headers }),
      onError: () => {},
    });
    expect(response.status).toBe(503);
    expect(await response.text()).toContain("temporarily unavailable");
  });
});
