import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { webhookConnectors } from "../../scripts/lib/webhook-receiver";
import { signPayload } from "../connectors/sandbox/webhook-signature";
import { receiveWebhook, type TWebhookInput } from "./receive-webhook";

const { db } = await setupTestDb();
const secret = "the-shared-webhook-secret";
const connectors = webhookConnectors(secret);
const receiveSandboxEvent = (_db: typeof db, input: TWebhookInput) => receiveWebhook(db, connectors, input);

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
function signed(body: string, now = new Date(), key = secret): TWebhookInput {
  const timestamp = Math.floor(now.getTime() / 1000);
  const headers = new Headers({
    "x-sandbox-timestamp": String(timestamp),
    "x-sandbox-signature": signPayload(key, timestamp, body),
  });
  return { networkId: "qq", body, headers, now };
}

function unsigned(input: TWebhookInput): TWebhookInput {
  const headers = new Headers(input.headers);
  headers.delete("x-sandbox-signature");
  return { ...input, headers };
}

describe("receiveWebhook (the sandbox feed)", () => {
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
    expect((await receiveSandboxEvent(db, unsigned(signed(body)))).status).toBe(400);
    expect((await receiveSandboxEvent(db, { ...signed(body), networkId: "icq" })).status).toBe(404);
    expect(await db.inboundEvent.count({ where: { login: "77777" } })).toBe(0);
  });

  it("answers hostile envelopes with a 4xx, never a throw, and records nothing", async () => {
    const base = { id: `evt_${randomUUID()}`, type: "profile.updated", network: "qq", login: "88888" };
    const deep = `{"id":"e","network":"qq","login":"88888","x":${"[".repeat(20_000)}${"]".repeat(20_000)}}`;
    const answers = [
      await receiveSandboxEvent(db, signed(JSON.stringify({ ...base, login: "888\u000088" }))),
      await receiveSandboxEvent(db, signed(JSON.stringify({ ...base, id: "evt\u0007" }))),
      await receiveSandboxEvent(db, signed(JSON.stringify({ ...base, extra: "x".repeat(70_000) }))),
      await receiveSandboxEvent(db, signed(deep)),
      // Half a surrogate pair in the id (the fuzz test's counterexample, once a 500).
      await receiveSandboxEvent(db, signed(JSON.stringify({ ...base, id: "\ud800" }))),
      await receiveSandboxEvent(db, signed(JSON.stringify({ ...base, login: "888\udc00" }))),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 413, 400, 400, 400]);
    expect(answers[3]!.message).toBe("Malformed event: nested too deeply.");
    expect(await db.inboundEvent.count({ where: { login: { startsWith: "888" } } })).toBe(0);
  });

  it("records an event with values Postgres cannot store (NUL, half a surrogate pair) as rejected, queueing nothing", async () => {
    const user = await db.user.create({
      data: { email: `w${randomBytes(3).toString("hex")}@example.com`, passwordHash: "x" },
    });
    const account = await db.linkedAccount.create({
      data: {
        userId: user.id,
        networkId: "qq",
        login: "99999",
        credentials: "v1.x",
        credentialsKeyId: "x",
        verifiedAt: new Date(),
      },
    });
    const send = async (displayName: string) => {
      const id = `evt_${randomUUID()}`;
      const body = JSON.stringify({ id, network: "qq", login: "99999", profile: { displayName } });
      expect(await receiveSandboxEvent(db, signed(body))).toEqual({ status: 202, message: "Accepted." });
      return db.inboundEvent.findFirstOrThrow({ where: { externalId: id } });
    };
    // JSON.stringify writes a NUL and a lone surrogate as \u escapes, as a vendor would.
    for (const value of ["a\u0000b", "a\ud800b", "a\udc00", "\ud83d"]) {
      expect(await send(value)).toMatchObject({
        outcome: "rejected",
        note: "The event holds a NUL or a broken character; its values were not taken.",
        payload: { network: "qq", login: "99999" },
        processedAt: expect.any(Date),
      });
    }
    // A proper pair, or the text "\u0000" (an escaped backslash), is stored as it is and queued.
    for (const value of ["😀", "\\u0000 is text"]) {
      const queued = await send(value);
      expect(queued).toMatchObject({ processedAt: null, payload: { profile: { displayName: value } } });
      expect(await db.job.count({ where: { kind: "inbound-event", key: queued.id } })).toBe(1);
    }
    expect(await db.job.count({ where: { kind: "inbound-event", linkedAccountId: account.id } })).toBe(2);
  });
});
