/** Linking accounts against the real sandbox vendor process and a real database. */
import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import type { Session } from "next-auth";
import { afterEach, describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { setupTestSandbox } from "../../test/sandbox";
import { SANDBOX_NETWORKS } from "../../sandbox/networks";
import { createCaller } from "../api/root";
import { createConnectorResolver } from "../connectors/registry";
import { createKeyring } from "../crypto/secrets";
import { DomainError } from "../domain-error";
import { setNetworkEnabled } from "./networks";
import { openCredentials } from "./credentials";
import { linkAccount } from "./link";
import { listAccounts } from "./accounts";
import { rotateCredentialKeys } from "./rotate-keys";

const { db } = await setupTestDb();
const sandbox = await setupTestSandbox();
const keyring = createKeyring(`k1:${randomBytes(32).toString("base64")}`, undefined);
const deps = {
  db,
  connectors: createConnectorResolver({ sandbox: { url: sandbox.url, webhookSecret: "registration-test-secret" } }),
  keyring,
};

afterEach(async () => {
  await sandbox.clearFaults();
  await db.network.updateMany({ data: { isEnabled: true } });
});

let counter = 0;
async function newUser(role: "USER" | "ADMIN" = "USER") {
  return db.user.create({
    data: { email: `u${++counter}-${randomBytes(3).toString("hex")}@example.com`, passwordHash: "x", role },
  });
}
/** A fresh sandbox account, so tests never share vendor state. */
async function newQqAccount() {
  const login = String(20_000 + Math.floor(Math.random() * 9_000_000));
  const password = `pw-${randomBytes(6).toString("hex")}`;
  await sandbox.createAccount("qq", login, password);
  return { login, password };
}
function callerFor(user: { id: string; email: string; role: "USER" | "ADMIN" }) {
  const session: Session = {
    user: { id: user.id, email: user.email, role: user.role },
    expires: "2999-01-01T00:00:00Z",
  };
  return createCaller({ ...deps, session, headers: new Headers() });
}
async function domainError(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe("link", () => {
  it("verifies with the vendor, then stores the account with encrypted credentials", async () => {
    const user = await newUser();
    const { login, password } = await newQqAccount();
    const view = await linkAccount(deps, user.id, { networkId: "qq", login: ` ${login} `, secret: password });
    expect(view).toMatchObject({ networkId: "qq", networkName: "QQ", login, status: "active" });
    expect(view.sync).toEqual({ avatar: true, displayName: true, signature: true, mood: true });

    const row = await db.linkedAccount.findUniqueOrThrow({ where: { id: view.id } });
    expect(row.credentials).not.toContain(password);
    expect(row.credentialsKeyId).toBe("k1");
    // With the session verify opened, so the first sync does not sign in again.
    expect(openCredentials(keyring, row)).toEqual({ login, secret: password, session: expect.any(String) });
    expect(await db.auditEvent.count({ where: { targetId: view.id, action: "account.link" } })).toBe(1);
  });

  it("stores nothing when the vendor refuses the password", async () => {
    const user = await newUser();
    const { login } = await newQqAccount();
    const error = await domainError(linkAccount(deps, user.id, { networkId: "qq", login, secret: "wrong" }));
    expect(error.code).toBe("VENDOR_REJECTED");
    expect(error.message).toBe("QQ did not accept this QQ number and password. Nothing was saved.");
    expect(await db.linkedAccount.count({ where: { userId: user.id } })).toBe(0);
  });

  it.each([
    ["down", { isDown: true }],
    ["failing with 503", { errorRate: 1, errorStatus: 503 as const }],
    ["rate-limiting", { rateLimitRetryAfterSeconds: 30 }],
  ])("gives a retriable error and stores nothing when the vendor is %s", async (_label, faults) => {
    const user = await newUser();
    const { login, password } = await newQqAccount();
    await sandbox.setFaults("qq", faults);
    const error = await domainError(linkAccount(deps, user.id, { networkId: "qq", login, secret: password }));
    expect(error.code).toBe("VENDOR_UNAVAILABLE");
    expect(error.message).toMatch(/QQ is not answering right now\. Nothing was saved/);
    expect(await db.linkedAccount.count({ where: { userId: user.id } })).toBe(0);
  });

  it("refuses a second link of the same network account, by the same or another user", async () => {
    const [alice, bob] = [await newUser(), await newUser()];
    const { login, password } = await newQqAccount();
    await linkAccount(deps, alice.id, { networkId: "qq", login, secret: password });
    const again = await domainError(linkAccount(deps, alice.id, { networkId: "qq", login, secret: password }));
    expect([again.code, again.message]).toEqual(["CONFLICT", "This QQ account is already linked."]);
    const other = await domainError(linkAccount(deps, bob.id, { networkId: "qq", login, secret: password }));
    expect([other.code, other.message]).toEqual([
      "CONFLICT",
      "This QQ account is already linked to another OneProfile user.",
    ]);
  });

  it("explains a login in the wrong shape, on the login field", async () => {
    const user = await newUser();
    const error = await domainError(linkAccount(deps, user.id, { networkId: "fetion", login: "12345", secret: "x" }));
    expect([error.code, error.field]).toEqual(["BAD_INPUT", "login"]);
    expect(error.message).toMatch(/Enter a valid Fetion mobile number/);
  });

  it("refuses networks that are coming soon or switched off", async () => {
    const user = await newUser();
    const soon = await domainError(linkAccount(deps, user.id, { networkId: "matrix", login: "@a:b", secret: "x" }));
    expect([soon.code, soon.message]).toEqual([
      "PRECONDITION_FAILED",
      "Matrix is coming soon; it cannot be linked yet.",
    ]);
    const admin = await newUser("ADMIN");
    await setNetworkEnabled(db, admin.id, "msn", false);
    const { demo } = SANDBOX_NETWORKS.msn;
    const off = await domainError(
      linkAccount(deps, user.id, { networkId: "msn", login: demo.login, secret: demo.password }),
    );
    expect(off.code).toBe("PRECONDITION_FAILED");
    const unknown = await domainError(linkAccount(deps, user.id, { networkId: "icq", login: "1", secret: "x" }));
    expect(unknown.code).toBe("NOT_FOUND");
  });
});

describe("the application list", () => {
  it("shows accounts of a disabled network as disabled", async () => {
    const [user, admin] = [await newUser(), await newUser("ADMIN")];
    const { login, password } = await newQqAccount();
    await linkAccount(deps, user.id, { networkId: "qq", login, secret: password });
    await setNetworkEnabled(db, admin.id, "qq", false);
    expect((await listAccounts(db, user.id)).map((a) => a.status)).toEqual(["disabled"]);
    await setNetworkEnabled(db, admin.id, "qq", true);
    expect((await listAccounts(db, user.id)).map((a) => a.status)).toEqual(["active"]);
  });

  it("unlinks (deleting the credentials) and toggles synced fields through the API", async () => {
    const user = await newUser();
    const api = callerFor(user);
    const { login, password } = await newQqAccount();
    const account = await api.registration.link({ networkId: "qq", login, secret: password, consent: true });
    const toggled = await api.registration.setFields({ accountId: account.id, fields: { mood: false, avatar: false } });
    expect(toggled.sync).toEqual({ avatar: false, displayName: true, signature: true, mood: false });
    await api.registration.unlink({ accountId: account.id });
    expect(await db.linkedAccount.findUnique({ where: { id: account.id } })).toBeNull();
    expect(await api.registration.accounts()).toEqual([]);
  });

  it("requires consent before linking", async () => {
    const api = callerFor(await newUser());
    const { login, password } = await newQqAccount();
    await expect(
      api.registration.link({ networkId: "qq", login, secret: password, consent: false as unknown as true }),
    ).rejects.toThrow(/Please allow OneProfile to update this account/);
  });
});

describe("authorisation: user B can neither see nor change user A's accounts", () => {
  const cases: Array<[string, (api: ReturnType<typeof callerFor>, accountId: string) => Promise<unknown>]> = [
    ["unlink", (api, accountId) => api.registration.unlink({ accountId })],
    ["setFields", (api, accountId) => api.registration.setFields({ accountId, fields: { signature: false } })],
    // Switching a field on marks the account dirty: not someone else's (it rolled back only in part).
    ["setFields (a field on)", (api, accountId) => api.registration.setFields({ accountId, fields: { mood: true } })],
  ];

  it.each(cases)("%s on A's account answers NOT_FOUND and changes nothing", async (_name, attempt) => {
    const [alice, bob] = [await newUser(), await newUser()];
    const { login, password } = await newQqAccount();
    const account = await linkAccount(deps, alice.id, { networkId: "qq", login, secret: password });
    const jobsBefore = await db.job.findMany({ where: { linkedAccountId: account.id }, orderBy: { id: "asc" } });
    const error = await attempt(callerFor(bob), account.id).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("NOT_FOUND");
    const row = await db.linkedAccount.findUniqueOrThrow({ where: { id: account.id } });
    expect(row.syncSignature).toBe(true);
    expect(await db.job.findMany({ where: { linkedAccountId: account.id }, orderBy: { id: "asc" } })).toEqual(
      jobsBefore,
    );
  });

  it("accounts lists only one's own", async () => {
    const [alice, bob] = [await newUser(), await newUser()];
    const { login, password } = await newQqAccount();
    await linkAccount(deps, alice.id, { networkId: "qq", login, secret: password });
    expect(await callerFor(bob).registration.accounts()).toEqual([]);
    expect(await callerFor(alice).registration.accounts()).toHaveLength(1);
  });

  it("only admins switch networks", async () => {
    const user = await newUser();
    await expect(
      callerFor(user).admin.setNetworkEnabled({ networkId: "qq", isEnabled: false, reason: "maintenance" }),
    ).rejects.toThrow("This needs an administrator account.");
    const admin = await newUser("ADMIN");
    await expect(
      callerFor(admin).admin.setNetworkEnabled({ networkId: "qq", isEnabled: false, reason: "maintenance" }),
    ).resolves.toMatchObject({
      id: "qq",
      isEnabled: false,
      isLinkable: false,
    });
  });

  it("no procedure returns credentials", async () => {
    const user = await newUser();
    const api = callerFor(user);
    const { login, password } = await newQqAccount();
    const linked = await api.registration.link({ networkId: "qq", login, secret: password, consent: true });
    const everything = JSON.stringify([linked, await api.registration.accounts(), await api.registration.networks()]);
    expect(everything).not.toContain(password);
    expect(everything).not.toContain("v1.k1.");
  });
});

describe("key rotation", () => {
  it("re-encrypts with the new key; the old key is then no longer needed", async () => {
    const user = await newUser();
    const { login, password } = await newQqAccount();
    const account = await linkAccount(deps, user.id, { networkId: "qq", login, secret: password });
    const k2 = `k2:${randomBytes(32).toString("base64")}`;
    const rotating = createKeyring(k2, `k1:${keyring.current.key.toString("base64")}`);
    expect(await rotateCredentialKeys(db, rotating)).toBeGreaterThanOrEqual(1);
    const row = await db.linkedAccount.findUniqueOrThrow({ where: { id: account.id } });
    expect(row.credentialsKeyId).toBe("k2");
    expect(openCredentials(createKeyring(k2, undefined), row)).toMatchObject({ login, secret: password });
    expect(await rotateCredentialKeys(db, rotating)).toBe(0);
    // Put k1 back for the other tests in this file.
    await rotateCredentialKeys(db, createKeyring(`k1:${keyring.current.key.toString("base64")}`, k2));
  });
});
