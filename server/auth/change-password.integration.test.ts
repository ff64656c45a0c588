/**
 * auth.changePassword over HTTP (tRPC's fetch handler, as the route runs it): the device cookie
 * the browser presents decides which sign-in budget a wrong current password uses.
 */
import { randomBytes } from "node:crypto";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { appRouter } from "../api/root";
import { createKeyring } from "../crypto/secrets";
import { DomainError } from "../domain-error";
import { MAX_FAILURES_PER_DEVICE } from "./rate-limit";
import { signIn, signUp } from "./users";

const { db } = await setupTestDb();
const keyring = createKeyring(`test:${randomBytes(32).toString("base64")}`, undefined);
const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "a brand new passphrase";
let counter = 0;

async function signedInBrowser() {
  const email = `change${++counter}-${Date.now()}@example.com`;
  const user = await signUp(db, { email, password: PASSWORD, ip: `2001:db8::${counter}` });
  const { deviceCookie } = await signIn(db, { email, password: PASSWORD, ip: "203.0.113.40" });
  return { user, email, deviceCookie };
}

async function changePassword(
  user: { id: string; email: string; role: "USER" | "ADMIN" },
  deviceCookie: string,
  currentPassword: string,
) {
  const response = await fetchRequestHandler({
    endpoint: "/api/trpc",
    req: new Request("http://localhost/api/trpc/auth.changePassword", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(superjson.serialize({ currentPassword, newPassword: NEW_PASSWORD })),
    }),
    router: appRouter,
    createContext: () => ({
      db,
      connectors: () => null,
      keyring,
      session: { user, expires: new Date(Date.now() + 3600_000).toISOString() },
      headers: new Headers({ cookie: `other=1; oneprofile-device=${deviceCookie}` }),
    }),
    onError: () => {},
  });
  return response.status;
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (error: unknown) => (error instanceof DomainError ? error.code : String(error)),
  );

describe("auth.changePassword over HTTP", () => {
  it("counts wrong current passwords against the budget of the device the browser presents", async () => {
    const { user, email, deviceCookie } = await signedInBrowser();
    for (let i = 0; i < MAX_FAILURES_PER_DEVICE; i++) {
      expect(await changePassword(user, deviceCookie, `guess ${i}`)).toBe(400);
    }
    expect(await changePassword(user, deviceCookie, PASSWORD)).toBe(429);
    expect(await codeOf(signIn(db, { email, password: PASSWORD, ip: "203.0.113.40", deviceCookie }))).toBe(
      "RATE_LIMITED",
    );
    // Untrusted clients were not charged.
    expect(await codeOf(signIn(db, { email, password: PASSWORD, ip: "203.0.113.41" }))).toBe("ok");
  });
});
