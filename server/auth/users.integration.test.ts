import { describe, expect, it, vi } from "vitest";
import { setupTestDb } from "../../test/database";
import { DomainError } from "../domain-error";
import { verifyPassword } from "./password";
import { newDeviceCookie } from "./device-cookie";
import {
  MAX_FAILURES_PER_DEVICE,
  MAX_FAILURES_PER_EMAIL,
  MAX_FAILURES_PER_IP,
  maxSignUpsPerIp,
  SIGN_IN_WINDOW_MS,
} from "./rate-limit";
import { changePassword, sessionUser, setRole, signIn, signOutEverywhere, signUp } from "./users";

vi.mock("./password", async (importOriginal) => {
  const original = await importOriginal<typeof import("./password")>();
  return { ...original, verifyPassword: vi.fn(original.verifyPassword) };
});

const { db } = await setupTestDb();
const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "a brand new passphrase";
let counter = 0;
const uniqueEmail = () => `user${++counter}-${Date.now()}@example.com`;
/** Each sign-up from its own address, so the per-address sign-up limit stays out of the way. */
const signUpIp = () => `2001:db8::${(++counter).toString(16)}`;
const newUser = (email: string, password = PASSWORD) => signUp(db, { email, password, ip: signUpIp() });

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
    const user = await newUser(email);
    const row = await db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.passwordHash).toMatch(/^\$argon2id\$/);
    expect(row.passwordHash).not.toContain(PASSWORD);
    expect(row.role).toBe("USER");
  });

  it("refuses a second account for the same email, whatever its case", async () => {
    const email = uniqueEmail();
    await newUser(email);
    await expectDomainError(newUser(email), "CONFLICT", /already exists/);
  });

  it("is case-insensitive in the database too: an upper-case email cannot be stored", async () => {
    await expect(db.user.create({ data: { email: "Mixed@Example.com", passwordHash: "x" } })).rejects.toThrow();
  });

  it(`allows ${maxSignUpsPerIp()} attempts per address an hour, a taken email included`, async () => {
    const ip = "192.0.2.77";
    const taken = uniqueEmail();
    await signUp(db, { email: taken, password: PASSWORD, ip });
    await expectDomainError(signUp(db, { email: taken, password: PASSWORD, ip }), "CONFLICT");
    for (let i = 2; i < maxSignUpsPerIp(); i++) await signUp(db, { email: uniqueEmail(), password: PASSWORD, ip });
    const email = uniqueEmail();
    await expectDomainError(
      signUp(db, { email, password: PASSWORD, ip }),
      "RATE_LIMITED",
      /^Too many accounts were created from your network\. Try again in 60 minutes\.$/,
    );
    expect(await db.user.count({ where: { email } })).toBe(0);
    await expect(signUp(db, { email, password: PASSWORD, ip: "192.0.2.78" })).resolves.toMatchObject({ email });
  });
});

describe("sign-in", () => {
  it("accepts the right password and rejects a wrong one or an unknown email alike", async () => {
    const email = uniqueEmail();
    await newUser(email);
    const ip = "192.0.2.10";
    await expect(signIn(db, { email, password: PASSWORD, ip })).resolves.toMatchObject({
      user: { email, role: "USER" },
    });
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
    await newUser(email);
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL; i++) {
      await expectDomainError(signIn(db, { email, password: "wrong", ip: `198.51.100.${i}` }), "UNAUTHENTICATED");
    }
    await expectDomainError(
      signIn(db, { email, password: PASSWORD, ip: "198.51.100.200" }),
      "RATE_LIMITED",
      /Too many failed sign-ins\. Try again in 15 minutes\./,
    );
  });

  it(`checks at most ${MAX_FAILURES_PER_EMAIL} passwords of 60 parallel wrong sign-ins for one email`, async () => {
    const email = uniqueEmail();
    await newUser(email);
    vi.mocked(verifyPassword).mockClear();
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => signIn(db, { email, password: `wrong ${i}`, ip: `198.18.0.${i}` })),
    );
    expect(vi.mocked(verifyPassword).mock.calls.length).toBeLessThanOrEqual(MAX_FAILURES_PER_EMAIL);
    const codes = results.map((result) => (result.status === "rejected" ? (result.reason as DomainError).code : "ok"));
    expect(codes.filter((code) => code === "UNAUTHENTICATED").length).toBeLessThanOrEqual(MAX_FAILURES_PER_EMAIL);
    expect(codes.filter((code) => code === "RATE_LIMITED").length).toBeGreaterThanOrEqual(60 - MAX_FAILURES_PER_EMAIL);
  });

  it("forgets failures older than the window", async () => {
    const email = uniqueEmail();
    await newUser(email);
    const old = new Date(Date.now() - SIGN_IN_WINDOW_MS - 1000);
    await db.rateLimitHit.createMany({
      data: Array.from({ length: MAX_FAILURES_PER_EMAIL }, () => ({ key: `signin-email:${email}`, createdAt: old })),
    });
    await expect(signIn(db, { email, password: PASSWORD, ip: "203.0.113.1" })).resolves.toMatchObject({
      user: { email },
    });
  });

  it("clears an email's failures after a successful sign-in", async () => {
    const email = uniqueEmail();
    await newUser(email);
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL - 1; i++) {
      await expectDomainError(signIn(db, { email, password: "wrong", ip: "203.0.113.2" }), "UNAUTHENTICATED");
    }
    await signIn(db, { email, password: PASSWORD, ip: "203.0.113.2" });
    await expectDomainError(signIn(db, { email, password: "wrong", ip: "203.0.113.2" }), "UNAUTHENTICATED");
    await expect(signIn(db, { email, password: PASSWORD, ip: "203.0.113.2" })).resolves.toMatchObject({
      user: { email },
    });
  });

  it(`locks an IP after ${MAX_FAILURES_PER_IP} failures across many emails, except for a browser with a device cookie`, async () => {
    const ip = "203.0.113.99";
    const email = uniqueEmail();
    await newUser(email);
    await db.rateLimitHit.createMany({
      data: Array.from({ length: MAX_FAILURES_PER_IP }, () => ({ key: `signin-ip:${ip}` })),
    });
    await expectDomainError(signIn(db, { email, password: PASSWORD, ip }), "RATE_LIMITED");
    const { deviceCookie } = await signIn(db, { email, password: PASSWORD, ip: "203.0.113.100" });
    // The owner's browser behind the same (office, carrier NAT) address: its cookie came from a
    // successful sign-in to this account, so strangers' failures there do not lock it out...
    await expect(signIn(db, { email, password: PASSWORD, ip, deviceCookie })).resolves.toMatchObject({
      user: { email },
    });
    // ...and its own failures are counted against its own budget, not the address's.
    const addressHits = () => db.rateLimitHit.count({ where: { key: `signin-ip:${ip}` } });
    const before = await addressHits();
    await expectDomainError(signIn(db, { email, password: "wrong", ip, deviceCookie }), "UNAUTHENTICATED");
    expect(await addressHits()).toBe(before);
  });
});

describe("device cookies", () => {
  async function lockOutUntrustedClients(email: string) {
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL; i++) {
      await expectDomainError(signIn(db, { email, password: `guess ${i}`, ip: `198.51.100.${i}` }), "UNAUTHENTICATED");
    }
  }

  it("an attacker's failures lock out untrusted clients, not the owner's browser", async () => {
    const email = uniqueEmail();
    await newUser(email);
    const { deviceCookie } = await signIn(db, { email, password: PASSWORD, ip: "203.0.113.50" });
    await lockOutUntrustedClients(email);

    await expectDomainError(signIn(db, { email, password: PASSWORD, ip: "203.0.113.50" }), "RATE_LIMITED");
    const owner = await signIn(db, { email, password: PASSWORD, ip: "203.0.113.50", deviceCookie });
    expect(owner.user.email).toBe(email);
    // Still locked for everyone else: the owner's success does not give the attacker new guesses.
    await expectDomainError(signIn(db, { email, password: PASSWORD, ip: "203.0.113.51" }), "RATE_LIMITED");
    // The new cookie works just as well.
    await expect(
      signIn(db, { email, password: PASSWORD, ip: "203.0.113.50", deviceCookie: owner.deviceCookie }),
    ).resolves.toMatchObject({ user: { email } });
  });

  it("a forged cookie, one for another email or one signed with another key gives no budget", async () => {
    const email = uniqueEmail();
    const other = uniqueEmail();
    const user = await newUser(email);
    await newUser(other);
    const { deviceCookie: othersCookie } = await signIn(db, { email: other, password: PASSWORD, ip: "203.0.113.60" });
    const { deviceCookie } = await signIn(db, { email, password: PASSWORD, ip: "203.0.113.60" });
    await lockOutUntrustedClients(email);

    const [nonce] = deviceCookie.split(".");
    for (const forged of [
      othersCookie,
      newDeviceCookie("another secret of at least 32 characters", { ...user, sessionVersion: 0 }),
      `${nonce}.${"A".repeat(43)}`,
      `${"A".repeat(22)}.${deviceCookie.split(".")[1]}`,
      "garbage",
    ]) {
      await expectDomainError(
        signIn(db, { email, password: PASSWORD, ip: "203.0.113.60", deviceCookie: forged }),
        "RATE_LIMITED",
      );
    }
  });

  it.each([
    [
      "a password change",
      (id: string) =>
        changePassword(db, id, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, ip: "203.0.113.90" }),
    ],
    ["signing out everywhere", (id: string) => signOutEverywhere(db, id)],
    [
      "a change of role",
      async (id: string) =>
        void (await setRole(db, (await db.user.findUniqueOrThrow({ where: { id } })).email, "ADMIN", {
          actorId: null,
          reason: "test",
        })),
    ],
  ])("cookies collected before %s give no budget of their own", async (_, end) => {
    const email = uniqueEmail();
    const user = await newUser(email);
    // Someone who knew the password signed in from three browsers: three device cookies.
    const collected: string[] = [];
    for (let i = 0; i < 3; i++) {
      collected.push((await signIn(db, { email, password: PASSWORD, ip: `198.18.7.${i}` })).deviceCookie);
    }
    await end(user.id);
    await lockOutUntrustedClients(email);
    vi.mocked(verifyPassword).mockClear();
    for (const deviceCookie of collected) {
      await expectDomainError(
        signIn(db, { email, password: "another guess", ip: "198.18.7.9", deviceCookie }),
        "RATE_LIMITED",
      );
    }
    expect(vi.mocked(verifyPassword).mock.calls.length).toBe(0);
  });

  it(`a device has its own budget of ${MAX_FAILURES_PER_DEVICE} failures`, async () => {
    const email = uniqueEmail();
    await newUser(email);
    const { deviceCookie } = await signIn(db, { email, password: PASSWORD, ip: "203.0.113.70" });
    for (let i = 0; i < MAX_FAILURES_PER_DEVICE; i++) {
      await expectDomainError(
        signIn(db, { email, password: "wrong", ip: "203.0.113.70", deviceCookie }),
        "UNAUTHENTICATED",
      );
    }
    await expectDomainError(
      signIn(db, { email, password: PASSWORD, ip: "203.0.113.70", deviceCookie }),
      "RATE_LIMITED",
    );
    // Untrusted clients were not charged for the device's failures.
    await expect(signIn(db, { email, password: PASSWORD, ip: "203.0.113.71" })).resolves.toMatchObject({
      user: { email },
    });
  });
});

describe("sessions", () => {
  async function signedIn(email: string) {
    await newUser(email);
    const { user } = await signIn(db, { email, password: PASSWORD, ip: "203.0.113.80" });
    await expect(sessionUser(db, user.id, user.sessionVersion)).resolves.toMatchObject({ email });
    return user;
  }

  it("signing out everywhere ends every session begun before", async () => {
    const user = await signedIn(uniqueEmail());
    await signOutEverywhere(db, user.id);
    await expect(sessionUser(db, user.id, user.sessionVersion)).resolves.toBeNull();
    const { user: again } = await signIn(db, { email: user.email, password: PASSWORD, ip: "203.0.113.80" });
    await expect(sessionUser(db, again.id, again.sessionVersion)).resolves.toMatchObject({ id: user.id });
  });

  it("a password change checks the current password, then ends every session", async () => {
    const user = await signedIn(uniqueEmail());
    const newPassword = NEW_PASSWORD;
    const error = await changePassword(db, user.id, {
      currentPassword: "not it",
      newPassword,
      ip: "203.0.113.81",
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BAD_INPUT", field: "currentPassword" });
    await expect(sessionUser(db, user.id, user.sessionVersion)).resolves.not.toBeNull();

    await changePassword(db, user.id, { currentPassword: PASSWORD, newPassword, ip: "203.0.113.81" });
    await expect(sessionUser(db, user.id, user.sessionVersion)).resolves.toBeNull();
    await expectDomainError(
      signIn(db, { email: user.email, password: PASSWORD, ip: "203.0.113.81" }),
      "UNAUTHENTICATED",
    );
    await expect(signIn(db, { email: user.email, password: newPassword, ip: "203.0.113.81" })).resolves.toMatchObject({
      user: { id: user.id },
    });
  });

  it("counts wrong current passwords against the sign-in budget of untrusted clients", async () => {
    const user = await signedIn(uniqueEmail());
    vi.mocked(verifyPassword).mockClear();
    for (let i = 0; i < 12; i++) {
      await signIn(db, { email: user.email, password: `guess ${i}`, ip: `198.51.100.${i}` }).catch(() => {});
    }
    for (let i = 0; i < 12; i++) {
      await expectDomainError(
        changePassword(db, user.id, { currentPassword: `guess ${i}`, newPassword: NEW_PASSWORD, ip: "198.51.100.99" }),
        "RATE_LIMITED",
        /^Too many wrong passwords\. Try again in 15 minutes\.$/,
      );
    }
    expect(vi.mocked(verifyPassword).mock.calls.length).toBe(MAX_FAILURES_PER_EMAIL);
  });

  it("lets this browser sign in with the new password although others' guesses had locked untrusted clients out", async () => {
    const email = uniqueEmail();
    const user = await newUser(email);
    const { deviceCookie } = await signIn(db, { email, password: PASSWORD, ip: "203.0.113.85" });
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL; i++) {
      await expectDomainError(signIn(db, { email, password: `guess ${i}`, ip: `198.51.100.${i}` }), "UNAUTHENTICATED");
    }
    const client = { ip: "203.0.113.85", deviceCookie };
    await changePassword(db, user.id, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, ...client });
    // Its device cookie was revoked with the old password; the untrusted clients' budget started again.
    await expect(signIn(db, { email, password: NEW_PASSWORD, ...client })).resolves.toMatchObject({ user: { email } });
  });

  it("counts wrong current passwords from a browser with a device cookie against that device's budget", async () => {
    const email = uniqueEmail();
    const user = await newUser(email);
    const { deviceCookie } = await signIn(db, { email, password: PASSWORD, ip: "203.0.113.83" });
    const client = { ip: "203.0.113.83", deviceCookie };
    for (let i = 0; i < MAX_FAILURES_PER_DEVICE; i++) {
      await expectDomainError(
        changePassword(db, user.id, { currentPassword: `guess ${i}`, newPassword: NEW_PASSWORD, ...client }),
        "BAD_INPUT",
      );
    }
    await expectDomainError(signIn(db, { email, password: PASSWORD, ...client }), "RATE_LIMITED");
    await expectDomainError(
      changePassword(db, user.id, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, ...client }),
      "RATE_LIMITED",
    );
    // Untrusted clients were not charged.
    await expect(signIn(db, { email, password: PASSWORD, ip: "203.0.113.84" })).resolves.toMatchObject({
      user: { email },
    });
  });

  it("a change of role ends the user's sessions; setting the same role does not", async () => {
    const user = await signedIn(uniqueEmail());
    await setRole(db, user.email, "USER", { actorId: null, reason: "test" });
    await expect(sessionUser(db, user.id, user.sessionVersion)).resolves.not.toBeNull();
    await setRole(db, user.email, "ADMIN", { actorId: null, reason: "test" });
    await expect(sessionUser(db, user.id, user.sessionVersion)).resolves.toBeNull();
    const { user: admin } = await signIn(db, { email: user.email, password: PASSWORD, ip: "203.0.113.82" });
    await setRole(db, user.email, "USER", { actorId: null, reason: "test" });
    await expect(sessionUser(db, admin.id, admin.sessionVersion)).resolves.toBeNull();
  });

  it("refuses a session of a user who is gone, or without a version", async () => {
    const user = await signedIn(uniqueEmail());
    await expect(sessionUser(db, user.id, undefined)).resolves.toBeNull();
    await db.user.delete({ where: { id: user.id } });
    await expect(sessionUser(db, user.id, user.sessionVersion)).resolves.toBeNull();
  });
});

describe("roles", () => {
  it("promotes and demotes by email, in any case", async () => {
    const email = uniqueEmail();
    await newUser(email);
    await expect(setRole(db, email.toUpperCase(), "ADMIN", { actorId: null, reason: "test" })).resolves.toMatchObject({
      email,
      role: "ADMIN",
    });
    await expect(setRole(db, email, "USER", { actorId: null, reason: "test" })).resolves.toMatchObject({
      role: "USER",
    });
    await expectDomainError(setRole(db, uniqueEmail(), "ADMIN", { actorId: null, reason: "test" }), "NOT_FOUND");
    await expectDomainError(setRole(db, "nope", "ADMIN", { actorId: null, reason: "test" }), "BAD_INPUT");
  });
});
