/** The tRPC layer over real HTTP handling: error shapes, and who may call what. */
import { randomBytes } from "node:crypto";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { Session } from "next-auth";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { captureLogs } from "../../test/log-capture";
import { createKeyring } from "../crypto/secrets";
import type { TDb } from "../db";
import { maxSignUpsPerIp } from "../auth/rate-limit";
import { appRouter } from "./root";

const { db } = await setupTestDb();
const keyring = createKeyring(`test:${randomBytes(32).toString("base64")}`, undefined);

async function call(
  path: string,
  input: unknown,
  {
    session = null,
    kind = "mutation",
    database = db,
    headers = new Headers(),
  }: { session?: Session | null; kind?: "query" | "mutation"; database?: TDb; headers?: Headers } = {},
) {
  const encoded = JSON.stringify(superjson.serialize(input));
  const url = `http://localhost/api/trpc/${path}` + (kind === "query" ? `?input=${encodeURIComponent(encoded)}` : "");
  const response = await fetchRequestHandler({
    endpoint: "/api/trpc",
    req: new Request(url, {
      method: kind === "query" ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      body: kind === "query" ? undefined : encoded,
    }),
    router: appRouter,
    createContext: () => ({ db: database, connectors: () => null, keyring, session, headers }),
    onError: () => {},
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    body: JSON.parse(text) as {
      error?: { json: { message: string; data: Record<string, unknown> } };
      result?: { data: { json: unknown } };
    },
  };
}

const sessionOf = (user: { id: string; email: string; role: "USER" | "ADMIN" }): Session => ({
  user,
  expires: new Date(Date.now() + 3600_000).toISOString(),
});

describe("auth.signUp over HTTP", () => {
  it("answers bad input with 400, a human message and per-field errors, never a stack", async () => {
    const { status, body, text } = await call("auth.signUp", { email: "nope", password: "short" });
    expect(status).toBe(400);
    expect(body.error?.json.message).toBe("Please check the highlighted fields.");
    expect(body.error?.json.data.fieldErrors).toEqual({
      email: ["Enter a valid email address, like name@example.com."],
      password: ["Use at least 10 characters."],
    });
    expect(text).not.toMatch(/stack|at .*\.ts:\d+/);
  });

  it("creates the account and returns only public fields", async () => {
    const { status, body, text } = await call("auth.signUp", { email: "New@Example.com", password: "0123456789ab" });
    expect(status).toBe(200);
    expect(body.result?.data.json).toMatchObject({ email: "new@example.com", role: "USER" });
    expect(text).not.toMatch(/passwordHash|argon2/);
  });

  it("answers a duplicate email with 409 and a clear message", async () => {
    await call("auth.signUp", { email: "dup@example.com", password: "0123456789ab" });
    const { status, body } = await call("auth.signUp", { email: "DUP@example.com", password: "0123456789ab" });
    expect(status).toBe(409);
    expect(body.error?.json.message).toBe("An account with this email already exists. Sign in instead?");
  });

  it(`answers the ${maxSignUpsPerIp() + 1}th sign-up from one address in an hour with 429`, async () => {
    const from = (address: string) => ({ headers: new Headers({ "x-forwarded-for": address }) });
    for (let i = 0; i < maxSignUpsPerIp(); i++) {
      const { status } = await call(
        "auth.signUp",
        { email: `many${i}@example.com`, password: "0123456789ab" },
        from("192.0.2.9"),
      );
      expect(status).toBe(200);
    }
    const refused = await call(
      "auth.signUp",
      { email: "one-more@example.com", password: "0123456789ab" },
      from("192.0.2.9"),
    );
    expect(refused.status).toBe(429);
    expect(refused.body.error?.json.message).toMatch(
      /^Too many accounts were created from your network\. Try again in/,
    );
    const elsewhere = await call(
      "auth.signUp",
      { email: "one-more@example.com", password: "0123456789ab" },
      from("192.0.2.10"),
    );
    expect(elsewhere.status).toBe(200);
  });

  it("hides internal failures behind a generic message", async () => {
    const fail = () => {
      throw new Error("connect ECONNREFUSED postgresql://oneprofile:hunter2@10.0.0.1/db");
    };
    const broken = { $transaction: fail, $queryRaw: fail, user: { create: fail } } as unknown as TDb;
    const logged = captureLogs("error");
    const { status, body, text } = await call(
      "auth.signUp",
      { email: "x@example.com", password: "0123456789ab" },
      { database: broken },
    );
    logged.restore();
    expect(logged.entries()).toHaveLength(1);
    expect(logged.entries()[0]?.msg).toContain("tRPC auth.signUp: Error: connect ECONNREFUSED");
    expect(logged.lines()[0]).not.toContain("hunter2");
    expect(status).toBe(500);
    expect(body.error?.json.message).toBe("Something went wrong on our side. Please try again.");
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("ECONNREFUSED");
  });
});

describe("admin.users", () => {
  it("is refused to visitors (401) and to normal users (403), served to admins", async () => {
    const user = await db.user.create({ data: { email: "plain@example.com", passwordHash: "x" } });
    const admin = await db.user.create({ data: { email: "support@example.com", passwordHash: "x", role: "ADMIN" } });

    expect((await call("admin.users", { query: "" }, { kind: "query" })).status).toBe(401);
    const asUser = await call("admin.users", { query: "" }, { kind: "query", session: sessionOf({ ...user }) });
    expect(asUser.status).toBe(403);
    expect(asUser.body.error?.json.message).toBe("This needs an administrator account.");

    // A session that still says ADMIN after a demotion is refused: the database decides.
    const stale = await call(
      "admin.users",
      { query: "" },
      { kind: "query", session: sessionOf({ ...user, role: "ADMIN" }) },
    );
    expect(stale.status).toBe(403);

    const asAdmin = await call("admin.users", { query: "PLAIN" }, { kind: "query", session: sessionOf({ ...admin }) });
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.result?.data.json).toEqual({
      rows: [expect.objectContaining({ email: "plain@example.com", role: "USER" })],
      nextCursor: null,
    });
    expect(asAdmin.text).not.toContain("passwordHash");
  });
});
