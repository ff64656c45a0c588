import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { receiveSandboxEvent } from "./receive-sandbox-event";
import { signPayload } from "./webhook-signature";

const { db } = await setupTestDb();
const secret = "the-shared-webhook-secret";

function event(login: string, id = `evt_${randomUUID()}`) {
  return JSON.stringify({
    id,
    type: "profile.updated",
    network: "qq",
    login,
    origin: "web",
    changed: ["mood"],
    profile: { mood: "😀" },
  });
}
function signed(body: string, now = new Date(), key = secret) {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    networkId: "qq",
    secret,
    body,
    timestamp: String(timestamp),
    signature: signPayload(key, timestamp, body),
    now,
  };
}

describe("receiveSandboxEvent", () => {
  it("records a verified event against the linked account", async () => {
    const user = await db.user.create({
      data: { email: `w${randomBytes(3).toString("hex")}@example.com`, passwordHash: "x" },
    });
    const account = await db.linkedAccount.create({
      data: {
        userId: user.id,
        networkId: "qq",
        login: "55555",
        credentials: "v1.x",
        credentialsKeyId: "x",
        verifiedAt: new Date(),
      },
    });
    const body = event("55555");
    expect(await receiveSandboxEvent(db, signed(body))).toEqual({ status: 202, message: "Accepted." });
    const recorded = await db.inboundEvent.findFirstOrThrow({ where: { externalId: JSON.parse(body).id } });
    expect(recorded).toMatchObject({ networkId: "qq", login: "55555", linkedAccountId: account.id, processedAt: null });
  });

  it("refuses a replay of the same event", async () => {
    const body = event("66666");
    expect((await receiveSandboxEvent(db, signed(body))).status).toBe(202);
    expect(await receiveSandboxEvent(db, signed(body))).toEqual({ status: 409, message: "Event already received." });
    expect(await db.inboundEvent.count({ where: { externalId: JSON.parse(body).id } })).toBe(1);
  });

  it("refuses bad signatures and old timestamps, recording nothing", async () => {
    const body = event("77777");
    expect((await receiveSandboxEvent(db, signed(body, new Date(), "some-other-secret"))).status).toBe(401);
    const old = signed(body, new Date(Date.now() - 6 * 60_000));
    expect((await receiveSandboxEvent(db, { ...old, now: new Date() })).status).toBe(400);
    expect((await receiveSandboxEvent(db, { ...signed(body), signature: null })).status).toBe(400);
    expect((await receiveSandboxEvent(db, { ...signed(body), networkId: "icq" })).status).toBe(404);
    expect(await db.inboundEvent.count({ where: { login: "77777" } })).toBe(0);
  });
});
