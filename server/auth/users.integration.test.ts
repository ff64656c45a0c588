import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { DomainError } from "../domain-error";
import { MAX_FAILURES_PER_EMAIL, MAX_FAILURES_PER_IP, SIGN_IN_WINDOW_MS } from "./rate-limit";
import { setRole, signIn, signUp } from "./users";

const { db } = await setupTestDb();
const PASSWORD = "correct horse battery";
let counter = 0;
const uniqueEmail = () => `user${++counter}-${Date.now()}@example.com`;

async function expectDomainError(promise: Promise<unknown>, code: string, message?: RegExp) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  if (message) expect((error as DomainError).message).toMatch(message);
}

describe("sign-up", () => {
  it("stores an argon2id hash, never the password", async () => {
    const email = uniqueEmail();
    const user = await signUp(db, { email, password: PASSWORD });
    const row = await db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.passwordHash).toMatch(/^\$argon2id\$/);
    expect(row.passwordHash).not.toContain(PASSWORD);
    expect(row.role).toBe("USER");
  });

  it("refuses a second account for the same email, whatever its case", async () => {
    const email = uniqueEmail();
    await signUp(db, { email, password: PASSWORD });
    await expectDomainError(signUp(db, { email, password: PASSWORD }), "CONFLICT", /already exists/);
  });

  it("is case-insensitive in the database too: an upper-case email cannot be stored", async () => {
    await expect(db.user.create({ data: { email: "Mixed@Example.com", passwordHash: "x" } })).rejects.toThrow();
  });
});

describe("sign-in", () => {
  it("accepts the right password and rejects a wrong one or an unknown email alike", async () => {
    const email = uniqueEmail();
    await signUp(db, { email, password: PASSWORD });
    const ip = "192.0.2.10";
    await expect(signIn(db, { email, password: PASSWORD, ip })).resolves.toMatchObject({ email, role: "USER" });
    await expectDomainError(
      signIn(db, { email, password: "wrong password!", ip }),
      "UNAUTHENTICATED",
      /^Wrong email or password\.$/,
    );
    await expectDomainError(
      signIn(db, { email: uniqueEmail(), password: PASSWORD, ip }),
      "UNAUTHENTICATED",
      /^Wrong email or password\.$/,
    );
  });

  it(`locks an email after ${MAX_FAILURES_PER_EMAIL} failures in the window, even for the right password`, async () => {
    const email = uniqueEmail();
    await signUp(db, { email, password: PASSWORD });
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL; i++) {
      await expectDomainError(signIn(db, { email, password: "wrong", ip: `198.51.100.${i}` }), "UNAUTHENTICATED");
    }
    await expectDomainError(
      signIn(db, { email, password: PASSWORD, ip: "198.51.100.200" }),
      "RATE_LIMITED",
      /Too many failed sign-ins\. Try again in 15 minutes\./,
    );
  });

  it("forgets failures older than the window", async () => {
    const email = uniqueEmail();
    await signUp(db, { email, password: PASSWORD });
    const old = new Date(Date.now() - SIGN_IN_WINDOW_MS - 1000);
    await db.rateLimitHit.createMany({
      data: Array.from({ length: MAX_FAILURES_PER_EMAIL }, () => ({ key: `email:${email}`, createdAt: old })),
    });
    await expect(signIn(db, { email, password: PASSWORD, ip: "203.0.113.1" })).resolves.toMatchObject({ email });
  });

  it("clears an email's failures after a successful sign-in", async () => {
    const email = uniqueEmail();
    await signUp(db, { email, password: PASSWORD });
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL - 1; i++) {
      await expectDomainError(signIn(db, { email, password: "wrong", ip: "203.0.113.2" }), "UNAUTHENTICATED");
    }
    await signIn(db, { email, password: PASSWORD, ip: "203.0.113.2" });
    await expectDomainError(signIn(db, { email, password: "wrong", ip: "203.0.113.2" }), "UNAUTHENTICATED");
    await expect(signIn(db, { email, password: PASSWORD, ip: "203.0.113.2" })).resolves.toMatchObject({ email });
  });

  it(`locks an IP after ${MAX_FAILURES_PER_IP} failures across many emails`, async () => {
    const ip = "203.0.113.99";
    const email = uniqueEmail();
    await signUp(db, { email, password: PASSWORD });
    await db.rateLimitHit.createMany({
      data: Array.from({ length: MAX_FAILURES_PER_IP }, () => ({ key: `ip:${ip}` })),
    });
    await expectDomainError(signIn(db, { email, password: PASSWORD, ip }), "RATE_LIMITED");
    await expect(signIn(db, { email, password: PASSWORD, ip: "203.0.113.100" })).resolves.toMatchObject({ email });
  });
});

describe("roles", () => {
  it("promotes and demotes by email, in any case", async () => {
    const email = uniqueEmail();
    await signUp(db, { email, password: PASSWORD });
    await expect(setRole(db, email.toUpperCase(), "ADMIN")).resolves.toMatchObject({ email, role: "ADMIN" });
    await expect(setRole(db, email, "USER")).resolves.toMatchObject({ role: "USER" });
    await expectDomainError(setRole(db, uniqueEmail(), "ADMIN"), "NOT_FOUND");
    await expectDomainError(setRole(db, "nope", "ADMIN"), "BAD_INPUT");
  });
});
