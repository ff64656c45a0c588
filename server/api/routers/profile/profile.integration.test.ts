/** profile.update over tRPC's HTTP handling: hostile text and images get a 4xx with a message, never a 500. */
import { randomBytes } from "node:crypto";
import { crc32, deflateSync } from "node:zlib";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { Session } from "next-auth";
import sharp from "sharp";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../../../test/database";
import { createKeyring } from "../../../crypto/secrets";
import { appRouter } from "../../root";

const { db } = await setupTestDb();
const keyring = createKeyring(`test:${randomBytes(32).toString("base64")}`, undefined);

async function signedIn() {
  const user = await db.user.create({
    data: { email: `u-${randomBytes(4).toString("hex")}@example.com`, passwordHash: "x" },
  });
  const session: Session = {
    user: { id: user.id, email: user.email, role: user.role, sessionVersion: user.sessionVersion },
    expires: new Date(Date.now() + 3600_000).toISOString(),
  } as Session;
  const update = async (input: unknown) => {
    const response = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req: new Request("http://localhost/api/trpc/profile.update", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(superjson.serialize(input)),
      }),
      router: appRouter,
      createContext: () => ({ db, connectors: () => null, keyring, session, headers: new Headers() }),
      onError: () => {},
    });
    const body = (await response.json()) as {
      error?: { json: { message: string; data: { fieldErrors: Record<string, string[]> | null } } };
    };
    return { status: response.status, message: body.error?.json.message, fields: body.error?.json.data.fieldErrors };
  };
  return { user, update };
}

/** A real black PNG of `side`×`side` pixels: a few hundred KB, gigabytes once decoded. */
function blackPng(side: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])));
    return Buffer.concat([length, Buffer.from(type), data, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 8;
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.alloc(side * (side + 1)), { level: 1 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

describe("profile.update over HTTP", () => {
  it("answers NUL, BEL and a direction override with 400 and a message per field, storing nothing", async () => {
    const { user, update } = await signedIn();
    const answer = await update({ displayName: "Ada\u0000", signature: "ding\u0007", moodText: "\u202Eevil" });
    expect(answer.status).toBe(400);
    expect(answer.message).toBe("Please check the highlighted fields.");
    expect(answer.fields).toEqual({
      displayName: [
        "The display name cannot contain control characters (such as NUL, tab or a line break): use one line of text.",
      ],
      signature: [
        "The signature cannot contain control characters (such as NUL, tab or a line break): use one line of text.",
      ],
      moodText: [
        "The mood text cannot contain text-direction override characters (U+202A–U+202E, U+2066–U+2069): they make text display reversed.",
      ],
    });
    expect(await db.profileRevision.count({ where: { userId: user.id } })).toBe(0);
  });

  it("takes 100 emoji as a 100-character display name", async () => {
    const { user, update } = await signedIn();
    expect((await update({ displayName: "👍🏽".repeat(100) })).status).toBe(200);
    expect((await db.profileRevision.findFirstOrThrow({ where: { userId: user.id } })).displayName).toBe(
      "👍🏽".repeat(100),
    );
  });

  it("answers a 16,000×16,000 PNG with 400 and the pixel limit on the avatar field", async () => {
    const { update } = await signedIn();
    const huge = blackPng(16_000);
    expect((await sharp(huge).metadata()).width).toBe(16_000);
    const avatars = await db.avatar.count();
    const answer = await update({ avatarBase64: huge.toString("base64") });
    expect(await db.avatar.count()).toBe(avatars);
    expect(answer).toEqual({
      status: 400,
      message: "Use an image of at most 4096×4096 pixels (an animation counts every frame).",
      fields: { avatar: ["Use an image of at most 4096×4096 pixels (an animation counts every frame)."] },
    });
  });

  it("answers the 31st upload in an hour with 429 and how long to wait", async () => {
    const { update } = await signedIn();
    const image = await sharp({ create: { width: 32, height: 32, channels: 3, background: "#345" } })
      .png()
      .toBuffer();
    for (let index = 0; index < 30; index++) {
      expect((await update({ avatarBase64: image.toString("base64") })).status).toBe(200);
    }
    const answer = await update({ avatarBase64: image.toString("base64") });
    expect(answer.status).toBe(429);
    expect(answer.message).toMatch(/^You have uploaded 30 avatars in the last hour\. Try again in (59|60) minutes\.$/);
    // The limit is the person's: someone else still uploads.
    expect((await (await signedIn()).update({ avatarBase64: image.toString("base64") })).status).toBe(200);
  });
});
