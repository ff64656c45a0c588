/**
 * Sign-in and sessions through next-auth itself (its request handler and getServerSession, as
 * the route handler and the pages use them), with a browser's cookie jar: the limits, device
 * cookies and session revocation as a browser meets them.
 */
import NextAuth, { getServerSession, type NextAuthOptions } from "next-auth";
import { describe, expect, it, vi } from "vitest";
import { setupTestDb } from "../../test/database";
import { captureLogs } from "../../test/log-capture";
import type { TDb } from "../db";
import { createAuthOptions } from "./options";
import { verifyPassword } from "./password";
import { MAX_FAILURES_PER_EMAIL } from "./rate-limit";
import { changePassword, setRole, signOutEverywhere, signUp } from "./users";

vi.mock("./password", async (importOriginal) => {
  const original = await importOriginal<typeof import("./password")>();
  return { ...original, verifyPassword: vi.fn(original.verifyPassword) };
});

const { db } = await setupTestDb();
const PASSWORD = "correct horse battery";
let counter = 0;
const uniqueEmail = () => `browser${++counter}-${Date.now()}@example.com`;
const newUser = (email: string) => signUp(db, { email, password: PASSWORD, ip: `2001:db8::${++counter}` });

/** Fake pages-API response: what next-auth's handler writes. */
function fakeResponse() {
  const headers = new Map<string, string | string[]>();
  let body: unknown;
  const res = {
    statusCode: 200,
    status(code: number) {
      res.statusCode = code;
      return res;
    },
    getHeader: (name: string) => headers.get(name.toLowerCase()),
    setHeader(name: string, value: string | string[]) {
      headers.set(name.toLowerCase(), value);
      return res;
    },
    setCookie() {},
    send(value: unknown) {
      body = value;
    },
    json(value: unknown) {
      body = value;
    },
    end() {},
  };
  return { res, headers, body: () => body };
}

/** A browser: a cookie jar and an address; next-auth runs with the test's database. */
class Browser {
  readonly cookies = new Map<string, string>();
  readonly options: NextAuthOptions;
  last: unknown;

  constructor(
    readonly ip: string,
    database: TDb = db,
  ) {
    this.options = createAuthOptions({
      db: database,
      setCookie: async ({ name, value }) => void this.cookies.set(name, value),
    });
  }

  private request(method: string, path: string[], body?: Record<string, string>) {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    return {
      method,
      query: { nextauth: path },
      body,
      cookies: Object.fromEntries([...this.cookies].map(([name, value]) => [name, decodeURIComponent(value)])),
      headers: { host: "localhost:3000", cookie, "x-forwarded-for": this.ip, "content-type": "application/json" },
    };
  }

  private keepCookies(headers: Map<string, string | string[]>) {
    for (const line of [headers.get("set-cookie") ?? []].flat()) {
      const [pair = ""] = line.split(";");
      const index = pair.indexOf("=");
      const [name, value] = [pair.slice(0, index), pair.slice(index + 1)];
      if (value === "" || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async handle(method: string, path: string[], body?: Record<string, string>) {
    const { res, headers, body: sent } = fakeResponse();
    await (NextAuth as unknown as (req: unknown, res: unknown, options: NextAuthOptions) => Promise<void>)(
      this.request(method, path, body),
      res,
      this.options,
    );
    this.keepCookies(headers);
    this.last = { status: res.statusCode, headers: [...headers], body: sent() };
    return sent() as Record<string, string>;
  }

  /** Signs in as the sign-in form does; returns next-auth's error text, or null on success. */
  async signIn(email: string, password: string): Promise<string | null> {
    const { csrfToken } = await this.handle("GET", ["csrf"]);
    const { url } = await this.handle("POST", ["callback", "credentials"], {
      csrfToken: csrfToken!,
      email,
      password,
      json: "true",
    });
    if (!url) throw new Error(`next-auth answered ${JSON.stringify(this.last)}`);
    return new URL(url).searchParams.get("error");
  }

  session() {
    return getServerSession(this.request("GET", ["session"]) as never, fakeResponse().res as never, this.options);
  }

  hasSessionCookie() {
    return [...this.cookies.keys()].some((name) => name.endsWith("next-auth.session-token"));
  }
}

/** The test's database, with the user lookups failing while `isDown` is set (a database blip). */
function flakyDb() {
  const state = { isDown: false };
  const database = new Proxy(db, {
    get(target, key) {
      if (key === "user" && state.isDown) {
        return { findUnique: () => Promise.reject(new Error("Can't reach database server (simulated)")) };
      }
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { database, state };
}

describe("sign-in through next-auth", () => {
  it(`checks at most ${MAX_FAILURES_PER_EMAIL} passwords of 40 parallel wrong sign-ins for one email`, async () => {
    const email = uniqueEmail();
    await newUser(email);
    vi.mocked(verifyPassword).mockClear();
    const errors = await Promise.all(
      Array.from({ length: 40 }, (_, i) => new Browser(`198.18.1.${i}`).signIn(email, `wrong ${i}`)),
    );
    expect(vi.mocked(verifyPassword).mock.calls.length).toBeLessThanOrEqual(MAX_FAILURES_PER_EMAIL);
    expect(errors.filter((error) => error === "Wrong email or password.").length).toBeLessThanOrEqual(
      MAX_FAILURES_PER_EMAIL,
    );
    expect(errors.filter((error) => error?.startsWith("Too many failed sign-ins.")).length).toBeGreaterThanOrEqual(
      40 - MAX_FAILURES_PER_EMAIL,
    );
  });

  it("gives the owner's browser a device cookie that still signs in after an attacker's 10 failures", async () => {
    const email = uniqueEmail();
    const other = uniqueEmail();
    await newUser(email);
    await newUser(other);
    const owner = new Browser("203.0.113.10");
    expect(await owner.signIn(email, PASSWORD)).toBeNull();
    expect([...owner.cookies.keys()]).toContain("oneprofile-device");
    expect(await owner.session()).toMatchObject({ user: { email } });

    const attacker = new Browser("198.51.100.66");
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL; i++) {
      expect(await attacker.signIn(email, `guess ${i}`)).toBe("Wrong email or password.");
    }
    expect(attacker.cookies.has("oneprofile-device")).toBe(false);
    expect(await attacker.signIn(email, PASSWORD)).toMatch(/^Too many failed sign-ins\. Try again in \d+ minutes?\.$/);
    // Any other browser without the cookie (the owner's new phone) is locked out as well...
    expect(await new Browser("203.0.113.11").signIn(email, PASSWORD)).toMatch(/^Too many failed sign-ins/);
    // ...but the owner's browser is not.
    expect(await owner.signIn(email, PASSWORD)).toBeNull();

    // A device cookie made for another account gives no budget, nor does a forged one.
    const thief = new Browser("198.51.100.67");
    expect(await thief.signIn(other, PASSWORD)).toBeNull();
    expect(await thief.signIn(email, PASSWORD)).toMatch(/^Too many failed sign-ins/);
    const forger = new Browser("198.51.100.68");
    forger.cookies.set(
      "oneprofile-device",
      `${owner.cookies.get("oneprofile-device")!.split(".")[0]}.${"A".repeat(43)}`,
    );
    expect(await forger.signIn(email, PASSWORD)).toMatch(/^Too many failed sign-ins/);
  });
});

describe("device cookies through next-auth", () => {
  it.each([
    [
      "a password change",
      (id: string) =>
        changePassword(db, id, {
          currentPassword: PASSWORD,
          newPassword: "brand new password 123",
          ip: "203.0.113.30",
        }),
    ],
    ["sign out everywhere", (id: string) => signOutEverywhere(db, id)],
  ])("cookies collected with the old password buy no guesses after %s", async (_, end) => {
    const email = uniqueEmail();
    const user = await newUser(email);
    // Someone who knew the password signed in from three browsers, collecting three device cookies.
    const collected: Browser[] = [];
    for (let i = 0; i < 3; i++) {
      const browser = new Browser(`198.18.2.${i}`);
      expect(await browser.signIn(email, PASSWORD)).toBeNull();
      collected.push(browser);
    }
    await end(user.id);
    const stranger = new Browser("198.18.2.99");
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL; i++) {
      expect(await stranger.signIn(email, `guess ${i}`)).toBe("Wrong email or password.");
    }
    expect(await stranger.signIn(email, "one more guess")).toMatch(/^Too many failed sign-ins/);
    vi.mocked(verifyPassword).mockClear();
    for (const browser of collected) {
      expect(await browser.signIn(email, "another guess")).toMatch(/^Too many failed sign-ins/);
    }
    expect(vi.mocked(verifyPassword).mock.calls.length).toBe(0);
  });
});

describe("sessions through next-auth", () => {
  async function signedIn() {
    const email = uniqueEmail();
    const user = await newUser(email);
    const browser = new Browser("203.0.113.20");
    expect(await browser.signIn(email, PASSWORD)).toBeNull();
    expect(await browser.session()).toMatchObject({ user: { id: user.id, email, role: "USER" } });
    return { user, browser };
  }

  it.each([
    ["sign out everywhere", (id: string) => signOutEverywhere(db, id)],
    [
      "a password change",
      (id: string) =>
        changePassword(db, id, { currentPassword: PASSWORD, newPassword: "another long password", ip: "203.0.113.21" }),
    ],
    [
      "a promotion",
      async (id: string) =>
        void (await setRole(db, (await db.user.findUniqueOrThrow({ where: { id } })).email, "ADMIN", {
          actorId: null,
          reason: "test",
        })),
    ],
  ])("refuses a session begun before %s", async (_, end) => {
    const { user, browser } = await signedIn();
    await end(user.id);
    const logged = captureLogs("warn");
    await expect(browser.session()).resolves.toBeNull();
    logged.restore();
    // An ended session is an everyday event, not an error in the log.
    expect(logged.entries()).toEqual([]);
  });

  it("refuses a demoted admin's session", async () => {
    const { user, browser } = await signedIn();
    await setRole(db, user.email, "ADMIN", { actorId: null, reason: "test" });
    expect(await browser.signIn(user.email, PASSWORD)).toBeNull();
    expect(await browser.session()).toMatchObject({ user: { role: "ADMIN" } });
    await setRole(db, user.email, "USER", { actorId: null, reason: "test" });
    await expect(browser.session()).resolves.toBeNull();
  });
});

describe("a database blip while a session is read", () => {
  it("keeps the browser signed in, and the session is not trusted meanwhile", async () => {
    const email = uniqueEmail();
    await newUser(email);
    const { database, state } = flakyDb();
    const browser = new Browser("203.0.113.77", database);
    expect(await browser.signIn(email, PASSWORD)).toBeNull();
    expect(browser.hasSessionCookie()).toBe(true);

    state.isDown = true;
    const logged = captureLogs("error");
    // What the browser's SessionProvider asks on focus, and what a page asks.
    await browser.handle("GET", ["session"]);
    const during = await browser.session();
    logged.restore();
    state.isDown = false;

    expect(browser.hasSessionCookie()).toBe(true);
    expect(during).toMatchObject({ unverified: true });
    expect(logged.entries().length).toBeGreaterThan(0);
    const after = await browser.session();
    expect(after).toMatchObject({ user: { email } });
    expect(after).not.toHaveProperty("unverified");
  });

  it("still ends a session that really ended", async () => {
    const email = uniqueEmail();
    const user = await newUser(email);
    const { database, state } = flakyDb();
    const browser = new Browser("203.0.113.78", database);
    expect(await browser.signIn(email, PASSWORD)).toBeNull();
    state.isDown = true;
    await browser.handle("GET", ["session"]);
    state.isDown = false;
    await signOutEverywhere(db, user.id);
    await expect(browser.session()).resolves.toBeNull();
    await browser.handle("GET", ["session"]);
    expect(browser.hasSessionCookie()).toBe(false);
  });
});
