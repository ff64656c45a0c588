/**
 * XMPP end to end, against a real Prosody (test/prosody.ts), a real Postgres, the sandbox vendor
 * and a real worker with its watches: link with the right and a wrong password, a portal save
 * read back from another XMPP client, a mood changed from that client reaching QQ and the portal,
 * and a watch that resumes after Prosody restarts.
 */
import { randomBytes } from "node:crypto";
import { type AddressInfo, createServer } from "node:net";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { setupTestDb } from "../../../test/database";
import { setupTestProsody, startTestProsody } from "../../../test/prosody";
import { setupTestSandbox } from "../../../test/sandbox";
import { setupWebhookReceiver } from "../../../test/sync-harness";
import { createKeyring } from "../../crypto/secrets";
import { createWorker } from "../../dispatch/worker";
import { storeOriginalAvatar } from "../../profile/avatars";
import { requestReadBack, wakeWorkers } from "../../dispatch/queue";
import { previewProfile } from "../../profile/queries";
import { currentSnapshot, updateProfile } from "../../profile/update";
import { listAccounts } from "../../registration/accounts";
import { openCredentials } from "../../registration/credentials";
import { linkAccount, relinkAccount } from "../../registration/link";
import { createConnectorResolver } from "../registry";
import { createXmppClient } from "./client";
import { connectXmpp, type TXmppSession } from "./protocol";
import { srvAnswers, type TSrvLookup } from "./resolve";

const WEBHOOK_SECRET = "xmpp-test-webhook-secret-0123";
const PASSWORD = "xmpp-pass";
const prosody = await setupTestProsody();
const { db, url: databaseUrl } = await setupTestDb();
const webhookUrl = await setupWebhookReceiver(db, WEBHOOK_SECRET);
const sandbox = await setupTestSandbox({ webhookUrl, webhookSecret: WEBHOOK_SECRET, webhookIntervalMs: 20 });
const keyring = createKeyring(`k1:${randomBytes(32).toString("base64")}`, undefined);
const connectors = createConnectorResolver({
  sandbox: { url: sandbox.url, webhookSecret: WEBHOOK_SECRET, timeoutMs: 5_000 },
  xmpp: {
    isLoopbackAllowed: true,
    // The domain's SRV record (the one the tests' DNS knows) names localhost, resolved and checked.
    dns: { srv: srvAnswers(`${prosody.domain}=localhost:${prosody.port}`) },
  },
});
const worker = createWorker({
  db,
  databaseUrl,
  connectors,
  keyring,
  concurrency: 4,
  leaseMs: 10_000,
  retryBaseMs: 20,
  sweepMs: 200,
  watches: { everyMs: 200 },
});
await worker.start();
const opened: TXmppSession[] = [];
afterAll(async () => {
  await worker.stop();
  await Promise.all(opened.map((session) => session.close().catch(() => {})));
});

/** Another XMPP client of the account (a person's phone). */
async function phone(user: string): Promise<TXmppSession> {
  const session = await connectXmpp({
    jid: `${user}@${prosody.domain}`,
    password: PASSWORD,
    host: "127.0.0.1",
    port: prosody.port,
    isInsecureLoopbackAllowed: true,
    resource: `phone-${randomBytes(3).toString("hex")}`,
  });
  opened.push(session);
  return session;
}

let counter = 0;
async function person(): Promise<{ userId: string; user: string; jid: string }> {
  const user = `ada${++counter}${randomBytes(2).toString("hex")}`;
  await prosody.createAccount(user, PASSWORD);
  const { id: userId } = await db.user.create({
    data: { email: `${user}@example.com`, passwordHash: "x" },
  });
  return { userId, user, jid: `${user}@${prosody.domain}` };
}

const deps = { db, connectors, keyring };

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Connectors whose DNS gives these SRV records (and, optionally, these addresses). */
function connectorsWithDns(dns: { srv: TSrvLookup; addresses?: (host: string) => Promise<string[]> }) {
  return createConnectorResolver({ sandbox: null, xmpp: { isLoopbackAllowed: true, dns } });
}

/** Links through connectors whose DNS gives these SRV records (and, optionally, these addresses). */
function linkWithDns(
  userId: string,
  jid: string,
  dns: { srv: TSrvLookup; addresses?: (host: string) => Promise<string[]> },
) {
  return linkAccount({ db, connectors: connectorsWithDns(dns), keyring }, userId, {
    networkId: "xmpp",
    login: jid,
    secret: PASSWORD,
  });
}

/** DNS that knows nothing: no SRV record, and no address for any name. */
const noDns = {
  srv: (async (name) => {
    throw Object.assign(new Error(`no SRV record for ${name}`), { code: "ENOTFOUND" });
  }) satisfies TSrvLookup,
  addresses: async (host: string): Promise<string[]> => {
    throw Object.assign(new Error(`no address for ${host}`), { code: "ENOTFOUND" });
  },
};

/**
 * An account on the tests' Prosody and on a second server of the same domain, and a client whose DNS
 * (SRV) points at the first until `moveTo` points it elsewhere.
 */
async function accountThatMoves() {
  const { user, jid } = await person();
  const other = await startTestProsody({ domain: prosody.domain });
  await other.createAccount(user, PASSWORD);
  let port = prosody.port;
  const srv: TSrvLookup = async () => [{ name: "127.0.0.1", port, priority: 0, weight: 0 }];
  const account = createXmppClient(
    { credentials: { login: jid, secret: PASSWORD }, saveCredentials: async () => {} },
    { isLoopbackAllowed: true, dns: { srv } },
  );
  return { jid, other, account, moveTo: (next: number) => void (port = next) };
}

describe("XMPP: finding the server (SRV, every address checked)", () => {
  it("tries the SRV targets in priority order: a dead first one, then Prosody", async () => {
    const { userId, jid } = await person();
    const dead = await closedPort();
    const srv: TSrvLookup = async () => [
      { name: "localhost", port: prosody.port, priority: 10, weight: 0 },
      { name: "127.0.0.1", port: dead, priority: 0, weight: 5 },
    ];
    await expect(linkWithDns(userId, jid, { srv })).resolves.toMatchObject({ networkId: "xmpp" });
  });

  it("refuses a target that resolves to a private address, before connecting", async () => {
    const { userId, jid } = await person();
    const srv: TSrvLookup = async () => [{ name: "xmpp.internal.test", port: prosody.port, priority: 0, weight: 0 }];
    const looked: string[] = [];
    const addresses = async (host: string) => (looked.push(host), ["127.0.0.1", "10.20.30.40"]);
    await expect(linkWithDns(userId, jid, { srv, addresses })).rejects.toMatchObject({
      code: "VENDOR_REJECTED",
      message: expect.stringContaining("private network"),
    });
    expect(looked).toEqual(["xmpp.internal.test"]);
    expect(await db.linkedAccount.count({ where: { userId } })).toBe(0);
  });

  it("moves to where DNS points now when its server goes away, instead of waiting for it", async () => {
    const { other, account, moveTo } = await accountThatMoves();
    try {
      await account.read();
      await prosody.stop();
      moveTo(other.port);
      // Before: the kept session kept reconnecting to the stopped server's address, and every read
      // failed with "reconnecting" until that server came back.
      await expect
        .poll(
          () =>
            account.read().then(
              () => "read",
              (error: unknown) => String(error),
            ),
          { timeout: 20_000 },
        )
        .toBe("read");
    } finally {
      await account.close();
      await prosody.start();
      await other.cleanup();
    }
  });

  it("connects to the server the person named, for a domain DNS does not know; relinking keeps it", async () => {
    const { userId, jid } = await person();
    const resolver = connectorsWithDns(noDns);
    const linkDeps = { db, connectors: resolver, keyring };
    const input = { networkId: "xmpp", login: jid, secret: PASSWORD };
    await expect(linkAccount(linkDeps, userId, input)).rejects.toMatchObject({ code: "VENDOR_UNAVAILABLE" });
    const linked = await linkAccount(linkDeps, userId, { ...input, server: ` 127.0.0.1:${prosody.port} ` });
    const row = await db.linkedAccount.findUniqueOrThrow({ where: { id: linked.id } });
    expect(openCredentials(keyring, row)).toMatchObject({ login: jid, server: `127.0.0.1:${prosody.port}` });
    // A new password (or the same, after the server refused it once) goes to the same server.
    await db.linkedAccount.update({ where: { id: linked.id }, data: { status: "NEEDS_REAUTH" } });
    await expect(relinkAccount(linkDeps, userId, linked.id, PASSWORD)).resolves.toMatchObject({ status: "active" });
    // Saved settings that cannot be read any more (their key gone): the server is not guessed.
    await db.linkedAccount.update({
      where: { id: linked.id },
      data: { credentials: "unreadable", status: "NEEDS_REAUTH" },
    });
    await expect(relinkAccount(linkDeps, userId, linked.id, PASSWORD)).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringContaining("Unlink it and link it again"),
    });
  });

  it("checks a named server's addresses too, and says which part of the form is wrong", async () => {
    const { userId, jid } = await person();
    const linkDeps = { db, connectors: connectorsWithDns(noDns), keyring };
    const input = { networkId: "xmpp", login: jid, secret: PASSWORD };
    await expect(linkAccount(linkDeps, userId, { ...input, server: "10.1.2.3:5222" })).rejects.toMatchObject({
      code: "VENDOR_REJECTED",
      message: expect.stringContaining("private network"),
    });
    await expect(linkAccount(linkDeps, userId, { ...input, server: "xmpp.example.org:99999" })).rejects.toMatchObject({
      code: "BAD_INPUT",
      field: "server",
    });
    // A network whose form has no server refuses one rather than dropping it.
    await expect(
      linkAccount(deps, userId, { networkId: "qq", login: "12345", secret: "pw", server: "qq.example" }),
    ).rejects.toMatchObject({ code: "BAD_INPUT", field: "server" });
    expect(await db.linkedAccount.count({ where: { userId } })).toBe(0);
  });

  it("ends a watch whose server goes away, so that the next one opens where DNS points now", async () => {
    const { jid, other, account, moveTo } = await accountThatMoves();
    const stop = new AbortController();
    /** Watches until a mood published from another client on `server` arrives. */
    async function watchingOn(server: { port: number }) {
      const seen: string[] = [];
      const watch = account.watch!(async (event) => void seen.push(event.id), stop.signal);
      // Awaited below (`ended`); until then a failure is not an unhandled rejection.
      watch.catch(() => {});
      const elsewhere = await connectXmpp({
        jid,
        password: PASSWORD,
        host: "127.0.0.1",
        port: server.port,
        isInsecureLoopbackAllowed: true,
      });
      opened.push(elsewhere);
      let round = 0;
      await expect
        .poll(async () => (await elsewhere.publishMood({ mood: "brave", text: `${++round}` }), seen.length), {
          timeout: 20_000,
        })
        .toBeGreaterThan(0);
      // Not the promise itself: an async function returning it would wait for the watch to end.
      return { ended: watch };
    }
    try {
      const first = await watchingOn(prosody);
      await prosody.stop();
      // Before: the watch waited on its own reconnects to the stopped server, and never ended.
      await first.ended;
      moveTo(other.port);
      const second = await watchingOn(other);
      stop.abort();
      await second.ended;
    } finally {
      stop.abort();
      await account.close();
      await prosody.start();
      await other.cleanup();
    }
  }, 60_000);

  it("takes a '.' target as 'no XMPP service here'", async () => {
    const { userId, jid } = await person();
    const srv: TSrvLookup = async () => [{ name: ".", port: 0, priority: 0, weight: 0 }];
    await expect(linkWithDns(userId, jid, { srv })).rejects.toMatchObject({
      code: "VENDOR_REJECTED",
      message: expect.stringContaining("offers no XMPP service"),
    });
  });
});

describe("XMPP against a real Prosody", () => {
  it("links with the right password only", async () => {
    const { userId, jid } = await person();
    await expect(linkAccount(deps, userId, { networkId: "xmpp", login: jid, secret: "wrong" })).rejects.toMatchObject({
      code: "VENDOR_REJECTED",
    });
    expect(await db.linkedAccount.count({ where: { userId } })).toBe(0);
    const linked = await linkAccount(deps, userId, { networkId: "xmpp", login: jid, secret: PASSWORD });
    expect(linked).toMatchObject({ networkId: "xmpp" });
  });

  it("sends a portal save to the account: another client reads each field", async () => {
    const { userId, user, jid } = await person();
    await linkAccount(deps, userId, { networkId: "xmpp", login: jid, secret: PASSWORD });
    const image = await sharp({ create: { width: 200, height: 200, channels: 3, background: "#3366cc" } })
      .png()
      .toBuffer();
    const avatarSha256 = await storeOriginalAvatar(db, image);
    await updateProfile(db, {
      userId,
      changes: {
        displayName: "Ada L.",
        signature: "Counting engines",
        mood: "happy",
        moodText: "on XMPP",
        avatarSha256,
      },
      source: "portal",
    });
    const other = await phone(user);
    await expect.poll(async () => (await other.readNickname())?.payload?.nickname, { timeout: 20_000 }).toBe("Ada L.");
    await expect
      .poll(async () => (await other.readSignature())?.payload?.signature, { timeout: 20_000 })
      .toBe("Counting engines");
    await expect
      .poll(async () => (await other.readMood())?.payload, { timeout: 20_000 })
      .toEqual({
        mood: "happy",
        text: "on XMPP",
      });
    await expect
      .poll(async () => (await other.readAvatar())?.payload?.avatar?.type, { timeout: 20_000 })
      .toBe("image/png");
    // Our own publishes come back over the watch as echoes: no revision from XMPP.
    await expect
      .poll(() => db.inboundEvent.count({ where: { login: jid, processedAt: { not: null } } }), { timeout: 20_000 })
      .toBeGreaterThan(0);
    expect(await db.profileRevision.count({ where: { userId, source: "xmpp" } })).toBe(0);
  });

  it("takes a mood changed from another client to the portal and to QQ, and resumes after Prosody restarts", async () => {
    const { userId, user, jid } = await person();
    const qq = String(60_000 + Math.floor(Math.random() * 1e6));
    await sandbox.createAccount("qq", qq, "pw-qq");
    await updateProfile(db, { userId, changes: { displayName: "Ada" }, source: "portal" });
    await linkAccount(deps, userId, { networkId: "qq", login: qq, secret: "pw-qq" });
    const { id: accountId } = await linkAccount(deps, userId, { networkId: "xmpp", login: jid, secret: PASSWORD });
    await expect.poll(() => worker.watching.has(accountId), { timeout: 20_000 }).toBe(true);

    const other = await phone(user);
    await other.publishMood({ mood: "sad", text: "rainy" });
    await expect.poll(async () => (await currentSnapshot(db, userId)).snapshot.mood, { timeout: 20_000 }).toBe("sad");
    await expect.poll(async () => (await sandbox.account("qq", qq)).mood, { timeout: 20_000 }).toBe("😢");

    // The server goes away and comes back: the watch resumes, and a change made after is taken.
    await prosody.stop();
    await prosody.start();
    const again = await phone(user);
    await again.publishMood({ mood: "excited", text: "back" });
    await expect
      .poll(async () => (await currentSnapshot(db, userId)).snapshot.mood, { timeout: 60_000 })
      .toBe("excited");
    await expect.poll(async () => (await sandbox.account("qq", qq)).mood, { timeout: 20_000 }).toBe("🤩");
  }, 120_000);

  it("follows what the account's server offers: nothing without PEP (the profile kept), all again with it", async () => {
    const { userId, user, jid } = await person();
    await updateProfile(db, { userId, changes: { displayName: "Ada PEP", mood: "happy" }, source: "portal" });
    const { id: accountId } = await linkAccount(deps, userId, { networkId: "xmpp", login: jid, secret: PASSWORD });
    await expect.poll(async () => (await (await phone(user)).readNickname())?.payload?.nickname).toBe("Ada PEP");
    const readBack = () =>
      db.$transaction(async (tx) => {
        await requestReadBack(tx, [{ userId, accountId }]);
        await wakeWorkers(tx);
      });

    await prosody.restart({ isPepEnabled: false });
    try {
      await readBack();
      await expect
        .poll(async () => (await db.linkedAccount.findUniqueOrThrow({ where: { id: accountId } })).capabilities, {
          timeout: 30_000,
        })
        .toEqual({});
      const [account] = await listAccounts(db, userId);
      expect(account!.supported).toEqual({ avatar: false, displayName: false, signature: false, mood: false });
      // Nothing to watch there (the server would refuse it at once, every minute).
      await expect.poll(() => worker.watching.has(accountId), { timeout: 20_000 }).toBe(false);
      const [preview] = await previewProfile(db, userId, {
        displayName: "Ada",
        signature: "",
        mood: null,
        moodText: "",
      });
      expect(preview!.skipped.map((entry) => entry.field).sort()).toEqual([
        "avatar",
        "displayName",
        "mood",
        "signature",
      ]);
      // What it could not read is no change made there: the portal keeps its profile.
      const { snapshot } = await currentSnapshot(db, userId);
      expect(snapshot).toMatchObject({ displayName: "Ada PEP", mood: "happy" });
      // A save meanwhile is not sent to it; linking another account on this server is refused, saying why.
      const saved = await updateProfile(db, { userId, changes: { displayName: "Ada Later" }, source: "portal" });
      const revisionId = saved!.revisionId;
      expect(await db.delivery.findFirst({ where: { revisionId, linkedAccountId: accountId } })).toMatchObject({
        state: "SKIPPED",
      });
      const other = await person();
      await expect(
        linkAccount(deps, other.userId, { networkId: "xmpp", login: other.jid, secret: PASSWORD }),
      ).rejects.toMatchObject({ code: "VENDOR_REJECTED", message: expect.stringContaining("PEP") });
    } finally {
      await prosody.restart({ isPepEnabled: true });
    }
    await readBack();
    await expect
      .poll(async () => (await db.linkedAccount.findUniqueOrThrow({ where: { id: accountId } })).capabilities, {
        timeout: 30_000,
      })
      .toBeNull();
    await expect.poll(() => worker.watching.has(accountId), { timeout: 20_000 }).toBe(true);
    // With PEP back, it owes what was saved meanwhile, and gets it.
    await expect
      .poll(async () => (await (await phone(user)).readNickname())?.payload?.nickname, { timeout: 30_000 })
      .toBe("Ada Later");
  }, 120_000);

  it("is watched by one worker at a time; another takes over when it stops", async () => {
    const { userId, user, jid } = await person();
    const { id: accountId } = await linkAccount(deps, userId, { networkId: "xmpp", login: jid, secret: PASSWORD });
    await expect.poll(() => worker.watching.has(accountId), { timeout: 20_000 }).toBe(true);
    const second = createWorker({
      db,
      databaseUrl,
      connectors,
      keyring,
      concurrency: 2,
      leaseMs: 10_000,
      retryBaseMs: 20,
      sweepMs: 200,
      watches: { everyMs: 200 },
    });
    // start() returns after its first look at the accounts: this one is the first worker's.
    await second.start();
    try {
      expect(second.watching.has(accountId)).toBe(false);
      // The first stops: the second takes the account, and a change reaches the portal through it.
      await worker.stop();
      await expect.poll(() => second.watching.has(accountId), { timeout: 20_000 }).toBe(true);
      const other = await phone(user);
      await other.publishNickname("Taken over");
      await expect
        .poll(async () => (await currentSnapshot(db, userId)).snapshot.displayName, { timeout: 30_000 })
        .toBe("Taken over");
    } finally {
      await second.stop();
    }
  }, 120_000);
});
