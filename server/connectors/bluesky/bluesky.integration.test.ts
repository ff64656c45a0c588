/**
 * Bluesky end to end, against a real PDS with its own PLC directory (test/pds.ts), a real Postgres,
 * the sandbox vendor and a real worker: link with the app password (a wrong one refused), a portal
 * save read back by the person's other app (a field OneProfile does not know kept), a change made in
 * that app found by polling and fanned out to QQ and the portal, a compare-and-swap conflict, an
 * avatar upload, a value the lexicon refuses, and a kept session refreshed and written back.
 */
import { createHash, randomBytes } from "node:crypto";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { setupTestDb } from "../../../test/database";
import { setupTestPds, type TTestPdsAccount } from "../../../test/pds";
import { setupTestSandbox } from "../../../test/sandbox";
import { setupWebhookReceiver } from "../../../test/sync-harness";
import { createKeyring } from "../../crypto/secrets";
import { createWorker } from "../../dispatch/worker";
import { storeOriginalAvatar } from "../../profile/avatars";
import { currentSnapshot, updateProfile } from "../../profile/update";
import { openCredentials } from "../../registration/credentials";
import { linkAccount } from "../../registration/link";
import { createCheckedFetch } from "../checked-fetch";
import { createConnectorResolver } from "../registry";
import { ConnectorError, type TCredentials } from "../types";
import { createBlueskyClient, PROFILE_COLLECTION, type TBlueskyConfig } from "./client";

const WEBHOOK_SECRET = "bluesky-test-webhook-secret-0123";
const pds = await setupTestPds();
const { db, url: databaseUrl } = await setupTestDb();
const webhookUrl = await setupWebhookReceiver(db, WEBHOOK_SECRET);
const sandbox = await setupTestSandbox({ webhookUrl, webhookSecret: WEBHOOK_SECRET, webhookIntervalMs: 20 });
const keyring = createKeyring(`k1:${randomBytes(32).toString("base64")}`, undefined);
const bluesky: TBlueskyConfig = { service: pds.url, isLoopbackAllowed: true, timeoutMs: 10_000 };
const connectors = createConnectorResolver({
  sandbox: { url: sandbox.url, webhookSecret: WEBHOOK_SECRET, timeoutMs: 5_000 },
  bluesky,
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
  // Bluesky is polled once a minute in production; here every few hundred milliseconds.
  readBack: { maxEveryMs: 300 },
});
await worker.start();
afterAll(() => worker.stop());

const deps = { db, connectors, keyring };

let counter = 0;
async function person(): Promise<{ userId: string; account: TTestPdsAccount }> {
  const account = await pds.createAccount(`ada${++counter}${randomBytes(2).toString("hex")}`);
  const { id: userId } = await db.user.create({ data: { email: `${account.handle}@example.com`, passwordHash: "x" } });
  return { userId, account };
}

/** The profile record as the person's other app reads it. */
async function recordOf(account: TTestPdsAccount) {
  const { data } = await account.otherApp.com.atproto.repo.getRecord({
    repo: account.did,
    collection: PROFILE_COLLECTION,
    rkey: "self",
  });
  return { cid: data.cid!, value: data.value as Record<string, unknown> };
}

/** The person edits the profile in their other app (a read-modify-write of the record, as apps do). */
async function editInOtherApp(account: TTestPdsAccount, changes: Record<string, unknown>) {
  const current = await recordOf(account).catch(() => null);
  await account.otherApp.com.atproto.repo.putRecord({
    repo: account.did,
    collection: PROFILE_COLLECTION,
    rkey: "self",
    record: { ...(current?.value ?? { $type: PROFILE_COLLECTION }), ...changes },
    swapRecord: current?.cid ?? null,
  });
}

function clientFor(
  credentials: TCredentials,
  saved: TCredentials[] = [],
  http = createCheckedFetch({ isLoopbackAllowed: true, timeoutMs: 10_000 }),
) {
  return createBlueskyClient({ credentials, saveCredentials: async (next) => void saved.push(next) }, bluesky, http);
}

describe("Bluesky against a real PDS", () => {
  it("links with the handle and app password only, and keeps the session encrypted", async () => {
    const { userId, account } = await person();
    await expect(
      linkAccount(deps, userId, { networkId: "bluesky", login: account.handle, secret: "wxyz-wxyz-wxyz-wxyz" }),
    ).rejects.toMatchObject({ code: "VENDOR_REJECTED" });
    // The main password works with Bluesky, but OneProfile asks for an app password.
    await expect(
      linkAccount(deps, userId, { networkId: "bluesky", login: account.handle, secret: account.password }),
    ).rejects.toMatchObject({ code: "VENDOR_REJECTED", message: expect.stringContaining("app password") });
    expect(await db.linkedAccount.count({ where: { userId } })).toBe(0);
    // As people type it: with the @ and in capitals.
    const linked = await linkAccount(deps, userId, {
      networkId: "bluesky",
      login: `@${account.handle.toUpperCase()}`,
      secret: account.appPassword,
    });
    expect(linked).toMatchObject({ networkId: "bluesky", login: account.handle });
    const row = await db.linkedAccount.findUniqueOrThrow({ where: { id: linked.id } });
    const stored = openCredentials(keyring, row);
    // The session: the account's DID and its tokens. (A session names the account's PDS only where the
    // server sends its DID document, as Bluesky's entryway does; the test PDS does not.)
    expect(JSON.parse(stored.session!)).toMatchObject({ data: { did: account.did, handle: account.handle } });
    expect(JSON.stringify(row)).not.toContain(account.appPassword);
  });

  it("refuses a server in the link form: a session's account is trusted only from the entryway", async () => {
    const { userId, account } = await person();
    // A server a person names could vouch for any handle (it signs its own sessions): until the
    // handle is resolved to its DID independently, Bluesky accounts link through the entryway only.
    await expect(
      linkAccount(deps, userId, {
        networkId: "bluesky",
        login: account.handle,
        secret: account.appPassword,
        server: "https://pds.example",
      }),
    ).rejects.toMatchObject({ code: "BAD_INPUT", field: "server" });
  });

  it("sends a portal save to the profile record, keeping what other apps put there", async () => {
    const { userId, account } = await person();
    await editInOtherApp(account, { pronouns: "she/her" });
    await linkAccount(deps, userId, { networkId: "bluesky", login: account.handle, secret: account.appPassword });
    const image = await sharp({ create: { width: 300, height: 200, channels: 3, background: "#3366cc" } })
      .png()
      .toBuffer();
    const avatarSha256 = await storeOriginalAvatar(db, image);
    await updateProfile(db, {
      userId,
      changes: { displayName: "Ada L.", signature: "Counting engines", mood: "happy", avatarSha256 },
      source: "portal",
    });
    await expect.poll(async () => (await recordOf(account)).value.displayName, { timeout: 20_000 }).toBe("Ada L.");
    await expect.poll(async () => (await recordOf(account)).value.avatar, { timeout: 20_000 }).toBeTruthy();
    const { value } = await recordOf(account);
    expect(value).toMatchObject({ description: "Counting engines", pronouns: "she/her" });
    // The avatar is a blob the PDS serves: a square PNG or JPEG within the lexicon's size.
    const avatar = value.avatar as { ref: { toString(): string }; mimeType: string; size: number };
    expect(["image/png", "image/jpeg"]).toContain(avatar.mimeType);
    expect(avatar.size).toBeLessThanOrEqual(1_000_000);
    const blob = await fetch(
      `${pds.url}/xrpc/com.atproto.sync.getBlob?did=${account.did}&cid=${avatar.ref.toString()}`,
    );
    const bytes = Buffer.from(await blob.arrayBuffer());
    const { width, height } = await sharp(bytes).metadata();
    expect(width).toBe(height);
  });

  it("finds a change made in another app by polling, and sends it to QQ and the portal", async () => {
    const { userId, account } = await person();
    const qq = String(60_000 + Math.floor(Math.random() * 1e6));
    await sandbox.createAccount("qq", qq, "pw-qq");
    await updateProfile(db, { userId, changes: { displayName: "Ada" }, source: "portal" });
    await linkAccount(deps, userId, { networkId: "qq", login: qq, secret: "pw-qq" });
    await linkAccount(deps, userId, { networkId: "bluesky", login: account.handle, secret: account.appPassword });
    await expect.poll(async () => (await recordOf(account)).value.displayName, { timeout: 20_000 }).toBe("Ada");

    await editInOtherApp(account, { displayName: "Ada mobile", description: "Written elsewhere" });
    await expect
      .poll(async () => (await currentSnapshot(db, userId)).snapshot.displayName, { timeout: 20_000 })
      .toBe("Ada mobile");
    expect((await currentSnapshot(db, userId)).snapshot.signature).toBe("Written elsewhere");
    await expect
      .poll(async () => (await sandbox.account("qq", qq)).displayName, { timeout: 20_000 })
      .toBe("Ada mobile");
    expect(await db.profileRevision.count({ where: { userId, source: "bluesky" } })).toBe(1);
  });

  it("writes with compare-and-swap: an edit made elsewhere between read and write is kept", async () => {
    const { account } = await person();
    await editInOtherApp(account, { displayName: "Before", description: "Their words" });
    const checked = createCheckedFetch({ isLoopbackAllowed: true, timeoutMs: 10_000 });
    const puts: string[] = [];
    const interfering = {
      close: checked.close,
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
        const request = new Request(input, init);
        if (request.url.includes("com.atproto.repo.putRecord")) {
          puts.push(request.url);
          // The first write finds the record changed since it was read: their edit lands first.
          if (puts.length === 1) await editInOtherApp(account, { description: "Changed meanwhile" });
        }
        return checked.fetch(request);
      }) as typeof fetch,
    };
    const client = clientFor({ login: account.handle, secret: account.appPassword }, [], interfering);
    const before = await recordOf(account);
    const answer = await client.apply({ displayName: "Ours" }, { idempotencyKeys: { profile: "k", avatar: "a" } });
    await client.close();
    expect(puts).toHaveLength(2);
    const after = await recordOf(account);
    expect(after.value).toMatchObject({ displayName: "Ours", description: "Changed meanwhile" });
    expect(answer.marks.displayName).toBe(after.cid);
    expect(after.cid).not.toBe(before.cid);
  });

  it("reads an avatar back by the hash its CID carries, and downloads it from the PDS", async () => {
    const { account } = await person();
    const checked = createCheckedFetch({ isLoopbackAllowed: true, timeoutMs: 10_000 });
    const blobReads: string[] = [];
    const counting = {
      close: checked.close,
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
        const request = new Request(input, init);
        if (request.url.includes("com.atproto.sync.getBlob")) blobReads.push(request.url);
        return checked.fetch(request);
      }) as typeof fetch,
    };
    const client = clientFor({ login: account.handle, secret: account.appPassword }, [], counting);
    const bytes = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#cc3366" } })
      .jpeg()
      .toBuffer();
    await client.apply(
      { avatar: { bytes, contentType: "image/jpeg" } },
      { idempotencyKeys: { profile: "k", avatar: "a" } },
    );
    const shown = await client.read();
    expect(shown.avatar?.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(blobReads, "the hash came from the CID, not from downloading the image").toHaveLength(0);
    expect(await client.downloadAvatar(shown.avatar!.url)).toEqual(bytes);
    await client.apply({ avatar: null }, { idempotencyKeys: { profile: "k2", avatar: "a2" } });
    expect((await client.read()).avatar).toBeNull();
    await client.close();
  });

  it("refuses, before sending, a value the lexicon does not allow, naming the field", async () => {
    const { account } = await person();
    await editInOtherApp(account, { displayName: "Unchanged" });
    const client = clientFor({ login: account.handle, secret: account.appPassword });
    // 64 graphemes (the limit OneProfile cuts to) but 1,600 bytes: over the lexicon's 640.
    const family = "👩‍👩‍👧‍👦".repeat(64);
    const failure = await client
      .apply({ displayName: family }, { idempotencyKeys: { profile: "k", avatar: "a" } })
      .catch((error: unknown) => error);
    await client.close();
    expect(failure).toBeInstanceOf(ConnectorError);
    expect(failure).toMatchObject({ kind: "refused", fields: ["displayName"] });
    expect((await recordOf(account)).value.displayName).toBe("Unchanged");
  });

  it("uses a kept session without signing in, and writes back a renewed one", async () => {
    const { account } = await person();
    const saved: TCredentials[] = [];
    const first = clientFor({ login: account.handle, secret: account.appPassword }, saved);
    await first.verify();
    await first.close();
    expect(saved).toHaveLength(1);
    const kept = saved[0]!;

    // A kept session is used as it is: no new sign-in (the app password is not even right any more).
    const key = { idempotencyKeys: { profile: "k", avatar: "a" } };
    const reused: TCredentials[] = [];
    const second = clientFor({ ...kept, secret: "not-the-password" }, reused);
    await second.apply({ displayName: "With the kept session" }, key);
    await second.close();
    expect(reused).toHaveLength(0);
    expect((await recordOf(account)).value.displayName).toBe("With the kept session");

    // Its access token refused: the session is renewed with its refresh token (the password is wrong:
    // no sign-in could have), and the renewed session is written back.
    const session = JSON.parse(kept.session!) as { pds: string; data: { accessJwt: string } };
    session.data.accessJwt = "not-a-token";
    const renewed: TCredentials[] = [];
    const third = clientFor({ ...kept, secret: "not-the-password", session: JSON.stringify(session) }, renewed);
    await third.apply({ displayName: "After a new session" }, key);
    await third.close();
    expect(renewed.length).toBeGreaterThan(0);
    expect(JSON.parse(renewed.at(-1)!.session!).data.accessJwt).not.toBe("not-a-token");
    expect((await recordOf(account)).value.displayName).toBe("After a new session");
  });
});
