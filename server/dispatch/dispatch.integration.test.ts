/**
 * The sync engine end to end on real parts: Postgres, the sandbox vendor process, and the
 * worker (in this process; the kill -9 test runs real worker processes).
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { setupTestSandbox } from "../../test/sandbox";
import { setupWebhookReceiver, spawnWorkerProcess } from "../../test/sync-harness";
import type { TSandboxNetworkId } from "../../sandbox/networks";
import { createConnectorResolver } from "../connectors/registry";
import { createKeyring } from "../crypto/secrets";
import sharp from "sharp";
import { storeOriginalAvatar } from "../profile/avatars";
import { retryDelivery } from "../profile/queries";
import { updateProfile } from "../profile/update";
import { MAX_ATTEMPTS } from "../sync/retry-policy";
import { linkAccount, relinkAccount } from "../registration/link";
import { createWorker } from "./worker";

const { db, url: databaseUrl } = await setupTestDb();
const WEBHOOK_SECRET = "dispatch-test-webhook-secret";

const webhookUrl = await setupWebhookReceiver(db, WEBHOOK_SECRET);

const sandbox = await setupTestSandbox({
  webhookUrl,
  webhookSecret: WEBHOOK_SECRET,
});
const KEY = `k1:${randomBytes(32).toString("base64")}`;
const keyring = createKeyring(KEY, undefined);
const connectors = createConnectorResolver({
  sandbox: { url: sandbox.url, webhookSecret: WEBHOOK_SECRET, timeoutMs: 500 },
});
const worker = createWorker({ db, databaseUrl, connectors, keyring, concurrency: 8, leaseMs: 5_000, retryBaseMs: 20 });

afterEach(() => sandbox.clearFaults());

let counter = 0;
const LOGINS: Record<TSandboxNetworkId, () => string> = {
  qq: () => String(40_000 + Math.floor(Math.random() * 90_000_000)),
  msn: () => `m${++counter}-${randomBytes(3).toString("hex")}@msn.example`,
  fetion: () => `139${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`,
  facebook: () => `f${++counter}-${randomBytes(3).toString("hex")}@facebook.example`,
};

/**
 * A user with fresh sandbox accounts on the given networks, all linked and in step: the user
 * has a profile (version 1) before linking, so each link sends it, and that is settled first.
 * Tests look at what happens after (deliveriesOf skips version 1).
 */
async function userWith(...networks: TSandboxNetworkId[]) {
  const user = await db.user.create({
    data: { email: `s${++counter}-${randomBytes(3).toString("hex")}@example.com`, passwordHash: "x" },
  });
  await updateProfile(db, { userId: user.id, changes: { moodText: "" }, source: "portal" });
  const accounts: Record<string, { id: string; login: string; password: string }> = {};
  for (const network of networks) {
    const login = LOGINS[network]();
    const password = `pw-${randomBytes(5).toString("hex")}`;
    await sandbox.createAccount(network, login, password);
    const linked = await linkAccount({ db, connectors, keyring }, user.id, {
      networkId: network,
      login,
      secret: password,
    });
    accounts[network] = { id: linked.id, login, password };
  }
  await settle(user.id);
  return { user, accounts };
}

const TERMINAL = ["DELIVERED", "FAILED", "SKIPPED", "SUPERSEDED"];

/** Runs the worker until every delivery of the user has settled. */
async function settle(userId: string, timeout = 15_000) {
  await expect
    .poll(
      async () => {
        await worker.drain();
        const open = await db.delivery.count({ where: { userId, state: { notIn: TERMINAL as never } } });
        return open;
      },
      { timeout, interval: 50 },
    )
    .toBe(0);
}

const deliveriesOf = (userId: string) =>
  db.delivery.findMany({
    where: { userId, version: { gt: 1 } },
    include: { linkedAccount: true },
    orderBy: [{ version: "asc" }, { createdAt: "asc" }],
  });

describe("fan-out", () => {
  it("delivers a portal change to every linked account, mapped to each one's limits", async () => {
    const { user, accounts } = await userWith("qq", "msn", "fetion");
    const signature = "Writing the first program for the Analytical Engine ✍️ — and loving it";
    await updateProfile(db, { userId: user.id, changes: { signature, mood: "cool" }, source: "portal" });
    const created = await deliveriesOf(user.id);
    expect(created).toHaveLength(3);
    await settle(user.id);
    expect((await deliveriesOf(user.id)).map((d) => d.state)).toEqual(["DELIVERED", "DELIVERED", "DELIVERED"]);

    const qq = await sandbox.account("qq", accounts.qq!.login);
    expect(qq.signature).toBe("Writing the first program for the Analy…");
    expect(qq.mood).toBe("😎");
    expect((await sandbox.account("msn", accounts.msn!.login)).signature).toBe(signature);
    expect((await sandbox.account("fetion", accounts.fetion!.login)).mood).toBe("酷");
  });
});

describe("avatars", () => {
  it("sends each network a rendition it accepts, and remembers it for echo suppression", async () => {
    const { user, accounts } = await userWith("qq", "msn", "fetion");
    const pixels = Buffer.alloc(900 * 700 * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31 + (i >> 7) * 17) % 256;
    const original = await sharp(pixels, { raw: { width: 900, height: 700, channels: 3 } })
      .png()
      .toBuffer();
    const avatarSha256 = await storeOriginalAvatar(db, original);
    await updateProfile(db, { userId: user.id, changes: { avatarSha256 }, source: "portal" });
    await settle(user.id);
    expect((await deliveriesOf(user.id)).map((d) => d.state)).toEqual(["DELIVERED", "DELIVERED", "DELIVERED"]);
    // The vendors checked format, bytes and pixels themselves; here is what they hold.
    const msn = (await sandbox.account("msn", accounts.msn!.login)).avatar as {
      width: number;
      height: number;
      bytes: number;
    };
    expect([msn.width, msn.height]).toEqual([96, 96]);
    expect(msn.bytes).toBeLessThanOrEqual(64 * 1024);
    const fetion = (await sandbox.account("fetion", accounts.fetion!.login)).avatar as { contentType: string };
    expect(fetion.contentType).toBe("image/jpeg");
  });
});

describe("retries", () => {
  it("retries a 500 and then delivers", async () => {
    const { user, accounts } = await userWith("msn");
    await sandbox.setFaults("msn", { errorRate: 1, errorStatus: 500 });
    await updateProfile(db, { userId: user.id, changes: { signature: "after a 500" }, source: "portal" });
    // The read-back asked for at link fails too (and then waits out its backoff without holding the sync back).
    await expect
      .poll(async () => {
        await worker.runOne();
        return (await deliveriesOf(user.id))[0]?.state;
      })
      .toBe("RETRYING");
    const [retrying] = await deliveriesOf(user.id);
    expect(retrying).toMatchObject({ state: "RETRYING", attempts: 1, lastError: "Internal error." });
    await sandbox.clearFaults();
    await settle(user.id);
    const [delivered] = await deliveriesOf(user.id);
    expect(delivered?.state).toBe("DELIVERED");
    expect(delivered?.attempts).toBeGreaterThanOrEqual(2);
    expect((await sandbox.account("msn", accounts.msn!.login)).signature).toBe("after a 500");
  });

  it("waits as long as a 429's Retry-After asks", async () => {
    const { user } = await userWith("fetion");
    await sandbox.setFaults("fetion", { rateLimitRetryAfterSeconds: 120 });
    await updateProfile(db, { userId: user.id, changes: { signature: "slow down" }, source: "portal" });
    const before = Date.now();
    await worker.drain();
    const [delivery] = await deliveriesOf(user.id);
    expect(delivery?.state).toBe("RETRYING");
    expect(delivery!.nextAttemptAt.getTime() - before).toBeGreaterThanOrEqual(119_000);
  });

  it("treats a vendor that never answers as a timeout to retry", async () => {
    const { user } = await userWith("facebook");
    await sandbox.setFaults("facebook", { isTimingOut: true });
    await updateProfile(db, { userId: user.id, changes: { signature: "hello?" }, source: "portal" });
    await worker.drain();
    const [delivery] = await deliveriesOf(user.id);
    expect(delivery).toMatchObject({ state: "RETRYING", lastError: "The network did not answer in time." });
  });

  it("fails at once when the credentials are refused, marks the account needs re-auth, until signed in again", async () => {
    const { user, accounts } = await userWith("qq", "msn");
    await sandbox.setPassword("qq", accounts.qq!.login, "changed-elsewhere");
    await updateProfile(db, { userId: user.id, changes: { displayName: "Ada" }, source: "portal" });
    await settle(user.id);
    const byNetwork = Object.fromEntries((await deliveriesOf(user.id)).map((d) => [d.linkedAccount.networkId, d]));
    expect(byNetwork.qq).toMatchObject({
      state: "FAILED",
      attempts: 1,
      lastError: "QQ no longer accepts the saved password: Wrong login or password.",
    });
    expect(byNetwork.qq?.linkedAccount.status).toBe("NEEDS_REAUTH");
    expect(byNetwork.msn?.state).toBe("DELIVERED");

    // The next change skips the account until it is signed in again.
    await updateProfile(db, { userId: user.id, changes: { displayName: "Ada L." }, source: "portal" });
    expect((await deliveriesOf(user.id)).filter((d) => d.linkedAccount.networkId === "qq")).toHaveLength(1);

    // Signing in again: the network checks the new password; the history stays.
    const deps = { db, connectors, keyring };
    await expect(relinkAccount(deps, user.id, accounts.qq!.id, "still-wrong")).rejects.toThrow(/QQ did not accept/);
    const stranger = await db.user.create({
      data: { email: `r${randomBytes(4).toString("hex")}@example.com`, passwordHash: "x" },
    });
    await expect(relinkAccount(deps, stranger.id, accounts.qq!.id, "changed-elsewhere")).rejects.toThrow(
      "That linked account does not exist.",
    );
    const relinked = await relinkAccount(deps, user.id, accounts.qq!.id, "changed-elsewhere");
    expect(relinked).toMatchObject({ status: "active", consecutiveFailures: 0 });
    await updateProfile(db, { userId: user.id, changes: { displayName: "Ada Lovelace" }, source: "portal" });
    await settle(user.id);
    expect((await sandbox.account("qq", accounts.qq!.login)).displayName).toBe("Ada Lovelace");
    // The failed entry reopened when QQ was signed in again; a later change of its field got there first.
    expect((await deliveriesOf(user.id)).filter((d) => d.linkedAccount.networkId === "qq").map((d) => d.state)).toEqual(
      ["SUPERSEDED", "DELIVERED"],
    );
  });
});

describe("giving up and retrying by hand", () => {
  it("fails after the last attempt; Retry sends it again", async () => {
    const { user, accounts } = await userWith("facebook");
    await sandbox.setFaults("facebook", { errorRate: 1, errorStatus: 503 });
    await updateProfile(db, { userId: user.id, changes: { signature: "persistent" }, source: "portal" });
    await settle(user.id, 30_000);
    const [failed] = await deliveriesOf(user.id);
    expect(failed).toMatchObject({
      state: "FAILED",
      attempts: MAX_ATTEMPTS,
      lastError: `Gave up after ${MAX_ATTEMPTS} attempts: Internal error.`,
    });
    expect(failed?.linkedAccount.status).toBe("ACTIVE");

    await sandbox.clearFaults();
    const stranger = await db.user.create({
      data: { email: `x${randomBytes(4).toString("hex")}@example.com`, passwordHash: "x" },
    });
    await expect(retryDelivery(db, stranger.id, failed!.id)).rejects.toThrow("That delivery does not exist.");
    await retryDelivery(db, user.id, failed!.id);
    await settle(user.id);
    expect((await deliveriesOf(user.id))[0]?.state).toBe("DELIVERED");
    expect((await sandbox.account("facebook", accounts.facebook!.login)).signature).toBe("persistent");
    await expect(retryDelivery(db, user.id, failed!.id)).rejects.toThrow("Only failed deliveries can be retried.");
  });
});

describe("ordering", () => {
  it("a field saved while another is in flight is not lost: both reach the account (issue 7)", async () => {
    const { user, accounts } = await userWith("qq");
    await sandbox.setFaults("qq", { isDown: true });
    await updateProfile(db, { userId: user.id, changes: { displayName: "First" }, source: "portal" });
    await worker.drain();
    await updateProfile(db, { userId: user.id, changes: { signature: "Second" }, source: "portal" });
    await sandbox.clearFaults();
    await settle(user.id);
    const [older, newer] = await deliveriesOf(user.id);
    expect([older?.state, newer?.state]).toEqual(["DELIVERED", "DELIVERED"]);
    const vendor = await sandbox.account("qq", accounts.qq!.login);
    expect([vendor.displayName, vendor.signature]).toEqual(["First", "Second"]);
  });

  it("resolves two close changes to the same field by the later revision, keeping both in history", async () => {
    const { user, accounts } = await userWith("qq", "msn", "fetion");
    await Promise.all([
      updateProfile(db, {
        userId: user.id,
        changes: { signature: "from QQ" },
        source: "qq",
        sourceAccountId: accounts.qq!.id,
      }),
      updateProfile(db, {
        userId: user.id,
        changes: { signature: "from MSN" },
        source: "msn",
        sourceAccountId: accounts.msn!.id,
      }),
    ]);
    const revisions = await db.profileRevision.findMany({
      where: { userId: user.id, version: { gt: 1 } },
      orderBy: { version: "asc" },
    });
    expect(revisions.map((r) => r.version)).toEqual([2, 3]);
    const winner = revisions[1]!.signature;
    await settle(user.id);
    expect((await sandbox.account("fetion", accounts.fetion!.login)).signature).toBe(winner);
  });
});

describe("changes made inside a network", () => {
  async function changeInside(network: TSandboxNetworkId, account: { login: string; password: string }, patch: object) {
    const session = await fetch(`${sandbox.url}/${network}/api/session`, {
      method: "POST",
      body: JSON.stringify({ login: account.login, password: account.password }),
    });
    const { token } = (await session.json()) as { token: string };
    await fetch(`${sandbox.url}/${network}/api/profile`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(patch),
    });
  }

  it("fans a genuine change out to the others, and recognises the echoes of our own deliveries", async () => {
    const { user, accounts } = await userWith("qq", "msn", "fetion");
    const writesBefore = (await sandbox.account("qq", accounts.qq!.login)).apiWrites;
    await changeInside("qq", accounts.qq!, { mood: "🥰" });
    await expect
      .poll(async () => {
        await worker.drain();
        return db.inboundEvent.findMany({ where: { login: accounts.qq!.login }, select: { outcome: true } });
      })
      .toEqual([{ outcome: "update" }]);
    await settle(user.id);
    const [revision] = await db.profileRevision.findMany({ where: { userId: user.id, version: { gt: 1 } } });
    expect(revision).toMatchObject({ source: "qq", mood: "in_love", changedFields: ["mood"] });
    const deliveries = await deliveriesOf(user.id);
    expect(deliveries.map((d) => d.linkedAccount.networkId).sort()).toEqual(["fetion", "msn"]);
    expect((await sandbox.account("msn", accounts.msn!.login)).mood).toBe("in love");
    expect((await sandbox.account("fetion", accounts.fetion!.login)).mood).toBe("恋爱中");

    // MSN and Fetion report the mood we applied: echoes, no new revision, nothing back to QQ.
    await expect
      .poll(async () => {
        await worker.drain();
        return (
          await db.inboundEvent.findMany({
            where: { login: { in: [accounts.msn!.login, accounts.fetion!.login] } },
            select: { outcome: true },
          })
        ).map((e) => e.outcome);
      })
      .toEqual(["echo", "echo"]);
    expect(await db.profileRevision.count({ where: { userId: user.id } })).toBe(2);
    // QQ's one write is the change its user made (through its API, above); OneProfile wrote nothing back.
    expect((await sandbox.account("qq", accounts.qq!.login)).apiWrites).toBe(writesBefore + 1);
  });
});

describe("crash safety", () => {
  const workers: ChildProcess[] = [];
  afterAll(() => workers.forEach((child) => child.exitCode === null && child.kill("SIGKILL")));

  function startWorkerProcess(): ChildProcess {
    const child = spawnWorkerProcess({ databaseUrl, sandboxUrl: sandbox.url, encryptionKey: KEY, concurrency: 2 });
    workers.push(child);
    return child;
  }

  it("loses no delivery and applies each once when a worker is killed mid-batch", async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => userWith("qq", "msn")));
    const writesBefore = new Map<string, number>();
    for (const { accounts } of users) {
      for (const network of ["qq", "msn"] as const) {
        const login = accounts[network]!.login;
        writesBefore.set(login, (await sandbox.account(network, login)).apiWrites);
      }
    }
    await sandbox.setFaults("qq", { latencyMs: 400 });
    await sandbox.setFaults("msn", { latencyMs: 400 });
    for (const [index, { user }] of users.entries()) {
      await updateProfile(db, { userId: user.id, changes: { signature: `crash test ${index}` }, source: "portal" });
    }
    const ids = users.map(({ user }) => user.id);
    const first = startWorkerProcess();
    await expect
      .poll(
        () =>
          db.delivery.count({
            where: { userId: { in: ids }, version: { gt: 1 }, state: { in: ["SENDING", "DELIVERED"] } },
          }),
        {
          timeout: 20_000,
        },
      )
      .toBeGreaterThan(0);
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("exit", resolve));
    // Really gone (no wrapper process in between that could leave the worker running).
    expect(() => process.kill(first.pid!, 0)).toThrow();
    const inFlight = await db.delivery.count({ where: { userId: { in: ids }, version: { gt: 1 }, state: "SENDING" } });
    const unfinished = await db.delivery.count({
      where: { userId: { in: ids }, version: { gt: 1 }, state: { not: "DELIVERED" } },
    });
    expect(unfinished).toBeGreaterThan(0);
    console.log(`kill -9 left ${inFlight} deliveries mid-send and ${unfinished} unfinished`);

    startWorkerProcess();
    await expect
      .poll(() => db.delivery.count({ where: { userId: { in: ids }, version: { gt: 1 }, state: "DELIVERED" } }), {
        timeout: 40_000,
        interval: 250,
      })
      .toBe(12);
    for (const [index, { accounts }] of users.entries()) {
      for (const network of ["qq", "msn"] as const) {
        const vendor = await sandbox.account(network, accounts[network]!.login);
        expect(vendor.signature).toBe(`crash test ${index}`);
        expect(vendor.apiWrites).toBe(writesBefore.get(accounts[network]!.login)! + 1);
      }
    }
  }, 90_000);
});

describe("quick saves (issue 7)", () => {
  it.each([
    ["no fault", 0],
    ["Fetion failing half its calls", 0.5],
  ])(
    "ten saves 80 ms apart end on the last one everywhere, with no echo revisions (%s)",
    async (_label, errorRate) => {
      const { user, accounts } = await userWith("qq", "msn", "fetion");
      await sandbox.setFaults("fetion", { errorRate });
      const running = createWorker({
        db,
        databaseUrl,
        connectors,
        keyring,
        concurrency: 4,
        leaseMs: 5_000,
        retryBaseMs: 20,
      });
      await running.start();
      try {
        for (let index = 0; index < 10; index++) {
          await updateProfile(db, { userId: user.id, changes: { signature: `burst ${index}` }, source: "portal" });
          await new Promise((resolve) => setTimeout(resolve, 80));
        }
        await sandbox.setFaults("fetion", {});
        const shown = async () =>
          Promise.all(
            (["qq", "msn", "fetion"] as const).map(async (network) => {
              const vendor = await sandbox.account(network, accounts[network]!.login);
              return vendor.signature;
            }),
          );
        await expect.poll(shown, { timeout: 20_000 }).toEqual(["burst 9", "burst 9", "burst 9"]);
        // Every webhook the writes caused is in and judged: none started a revision.
        await expect
          .poll(
            async () =>
              (await sandbox.quiet()).isQuiet &&
              (await db.inboundEvent.count({ where: { linkedAccount: { userId: user.id }, processedAt: null } })) === 0,
            { timeout: 20_000 },
          )
          .toBe(true);
        const revisions = await db.profileRevision.findMany({ where: { userId: user.id, version: { gt: 1 } } });
        expect(revisions.filter((revision) => revision.source !== "portal")).toEqual([]);
        expect(
          (await db.profileRevision.findFirst({ where: { userId: user.id }, orderBy: { version: "desc" } }))?.signature,
        ).toBe("burst 9");
      } finally {
        await running.stop();
      }
    },
    60_000,
  );
});

describe("an avatar changed inside a network (issue 7)", () => {
  it("arrives in the portal and at the other networks, with the display name changed with it", async () => {
    const { user, accounts } = await userWith("qq", "msn", "fetion");
    const image = await sharp({ create: { width: 200, height: 200, channels: 3, background: "#c33" } })
      .png()
      .toBuffer();
    await sandbox.webChange("qq", accounts.qq!.login, { displayName: "From QQ", avatar: image });
    await expect
      .poll(
        async () => {
          await worker.drain();
          return db.inboundEvent.findMany({ where: { login: accounts.qq!.login }, select: { outcome: true } });
        },
        { timeout: 15_000 },
      )
      .toEqual([{ outcome: "update" }]);
    await settle(user.id);
    const latest = await db.profileRevision.findFirstOrThrow({
      where: { userId: user.id },
      orderBy: { version: "desc" },
    });
    expect(latest).toMatchObject({ source: "qq", displayName: "From QQ" });
    expect(latest.changedFields.sort()).toEqual(["avatar", "displayName"]);
    expect(latest.avatarSha256).toMatch(/^[0-9a-f]{64}$/);
    for (const network of ["msn", "fetion"] as const) {
      const vendor = (await sandbox.account(network, accounts[network]!.login)) as unknown as {
        displayName: string;
        avatar: unknown;
      };
      expect(vendor.displayName).toBe("From QQ");
      expect(vendor.avatar).not.toBeNull();
    }
  });
});
