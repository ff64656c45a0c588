/**
 * Values a network reports are checked by the portal's own text rules before they are taken: a
 * refused value is recorded on the event (outcome "rejected", with the reason), the network is
 * sent the portal's value again, and the account's next event is taken as usual.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { fakeConnectors } from "../../test/fake-connectors";
import type { TConnectorResolver } from "../connectors/registry";
import type { TNetworkReport } from "../connectors/types";
import { createKeyring } from "../crypto/secrets";
import { enqueueInboundEvent } from "../dispatch/queue";
import { createWorker } from "../dispatch/worker";
import { updateProfile } from "../profile/update";
import { linkAccount } from "../registration/link";

const { db, url: databaseUrl } = await setupTestDb();
const keyring = createKeyring(`k1:${randomBytes(32).toString("base64")}`, undefined);
let mark = 100;
// The test's payload is the account's login and the report's values; the marks rise like a vendor's version.
const connectors = fakeConnectors({
  parseReport: (payload) => {
    const { login, values, writeKey } = payload as {
      login: string;
      values: TNetworkReport["values"];
      writeKey?: string;
    };
    return {
      login,
      fields: Object.keys(values).filter((key) => key !== "moodText") as TNetworkReport["fields"],
      values,
      mark: ++mark,
      writeKey: writeKey ?? null,
      isWriterKnown: writeKey !== undefined,
    };
  },
  nextMark: () => ++mark,
});
const worker = createWorker({ db, databaseUrl, connectors, keyring, concurrency: 2, leaseMs: 30_000, retryBaseMs: 5 });

async function linkedUser(linkWith: TConnectorResolver = connectors) {
  const user = await db.user.create({
    data: { email: `v-${randomBytes(4).toString("hex")}@example.com`, passwordHash: "x" },
  });
  const login = `${Math.floor(Math.random() * 1e9)}`;
  const account = await linkAccount({ db, connectors: linkWith, keyring }, user.id, {
    networkId: "qq",
    login,
    secret: "pw",
  });
  await worker.drain();
  return { userId: user.id, accountId: account.id };
}

const latest = (userId: string) => db.profileRevision.findFirst({ where: { userId }, orderBy: { version: "desc" } });

async function report(userId: string, accountId: string, values: TNetworkReport["values"], writeKey?: string) {
  const { login } = await db.linkedAccount.findUniqueOrThrow({ where: { id: accountId } });
  const event = await db.inboundEvent.create({
    data: {
      networkId: "qq",
      externalId: `e-${randomBytes(4).toString("hex")}`,
      login,
      linkedAccountId: accountId,
      payload: { login, values, ...(writeKey === undefined ? {} : { writeKey }) },
    },
  });
  await enqueueInboundEvent(db, { userId, accountId, eventId: event.id });
  await worker.drain();
  return db.inboundEvent.findUniqueOrThrow({ where: { id: event.id } });
}

describe("values from a network", () => {
  // Model seed 395837001 (path 37): after "unlink facebook, then link it again", Facebook's report of
  // a value OneProfile had written became a revision "from Facebook" — a write key of the login's
  // earlier link was not recognised as ours.
  it("written by OneProfile under an earlier link of the login are echoes, never changes made there", async () => {
    const { userId, accountId } = await linkedUser();
    await updateProfile(db, { userId, changes: { displayName: "Now" }, source: "portal" });
    await worker.drain();
    const before = await latest(userId);
    const echo = await report(
      userId,
      accountId,
      { displayName: "Earlier" },
      `oneprofile:${randomUUID()}:m1:profile:displayName=1`,
    );
    expect(echo.outcome).not.toBe("update");
    expect((await latest(userId))?.version).toBe(before?.version);
    // What it shows now differs from the profile: it is sent the profile's value again.
    const { login } = await db.linkedAccount.findUniqueOrThrow({ where: { id: accountId } });
    const client = connectors("qq")!.client({ credentials: { login, secret: "pw" }, saveCredentials: async () => {} });
    expect((await client.read()).displayName).toBe("Now");
  });

  it("are refused with a reason when they break the text rules, and the next event is taken", async () => {
    const user = await db.user.create({
      data: { email: `v-${randomBytes(4).toString("hex")}@example.com`, passwordHash: "x" },
    });
    await updateProfile(db, {
      userId: user.id,
      changes: { signature: "portal", displayName: "Ada" },
      source: "portal",
    });
    const { id: accountId } = await linkAccount({ db, connectors, keyring }, user.id, {
      networkId: "qq",
      login: "12345",
      secret: "pw",
    });
    await worker.drain();

    const refusals = [
      [{ displayName: "\u202Egnp.exe" }, /; displayName refused \(Display name cannot contain text-direction override/],
      [{ signature: "ring\u0007" }, /; signature refused \(Signature cannot contain control characters/],
      [{ signature: "a\nb" }, /; signature refused \(Signature cannot contain control characters/],
      [{ displayName: "字".repeat(101) }, /; displayName refused \(Use at most 100 characters\.\)/],
      [{ mood: null, moodText: "\u0085" }, /; mood refused \(Mood text cannot contain control characters/],
    ] as const;
    for (const [values, note] of refusals) {
      const event = await report(user.id, accountId, values);
      expect(event.outcome).toBe("rejected");
      expect(event.processedAt).not.toBeNull();
      expect(event.note).toMatch(note);
    }
    const revisions = await db.profileRevision.findMany({ where: { userId: user.id }, orderBy: { version: "asc" } });
    expect(revisions.map((revision) => revision.source)).toEqual(["portal"]);
    // Each refusal sent the network the portal's value again (the worker ran the account's sync):
    // it shows the portal's version of both fields, so every account ends on one value.
    const { observed } = await db.linkedAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(observed).toMatchObject({ displayName: { v: 1 }, signature: { v: 1 } });

    // Nothing is stuck: the next genuine change (an emoji family counts as one character) is taken.
    const taken = await report(user.id, accountId, { displayName: "👨‍👩‍👧‍👦".repeat(100) });
    expect(taken.outcome).toBe("update");
    expect((await db.profileRevision.findFirstOrThrow({ where: { userId: user.id, version: 2 } })).source).toBe("qq");
  });

  it("trims a display name as the portal does: white space only is no display name, not a refusal", async () => {
    const { userId, accountId } = await linkedUser();
    const trimmed = await report(userId, accountId, { displayName: "  Grace  " });
    expect(trimmed.outcome).toBe("update");
    expect((await latest(userId))?.displayName).toBe("Grace");
    const blank = await report(userId, accountId, { displayName: " \u3000 " });
    expect(blank.outcome).toBe("update");
    expect((await latest(userId))?.displayName).toBe("");
  });

  it("quotes an unknown mood word without its direction overrides, cut between graphemes", async () => {
    const { userId, accountId } = await linkedUser();
    // slice(0, 40) of this word kept the override and cut the family emoji after a high surrogate.
    const word = `\u202E${"x".repeat(35)}👨‍👩‍👧‍👦 and more`;
    const event = await report(userId, accountId, { mood: word, moodText: "" });
    expect(event.outcome).toBe("rejected");
    expect(event.note).toContain(`mood refused (Mood “${"x".repeat(35)}👨‍👩‍👧‍👦 an…” has no equivalent in OneProfile)`);
    expect(event.note).not.toMatch(/[\u202A-\u202E\uD800-\uDFFF]/u); // u: only a lone surrogate matches
  });

  it("imports a display name at link trimmed, and one of white space only not at all", async () => {
    const vendorName =
      (displayName: string): TConnectorResolver =>
      (networkId) => {
        const connector = connectors(networkId);
        return (
          connector && {
            ...connector,
            client(context) {
              const client = connector.client(context);
              return { ...client, verify: async (signal) => ({ ...(await client.verify(signal)), displayName }) };
            },
          }
        );
      };
    const named = await linkedUser(vendorName("  Ada  "));
    expect((await latest(named.userId))?.displayName).toBe("Ada");
    const blank = await linkedUser(vendorName("   "));
    expect((await latest(blank.userId))?.displayName ?? null).toBeNull();
  });
});
