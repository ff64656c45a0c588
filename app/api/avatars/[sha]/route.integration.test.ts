/** The avatar route over its handler, against real Postgres: stored bytes by hash, cached for good. */
import { createHash, randomBytes } from "node:crypto";
import { afterAll, describe, expect, it, vi } from "vitest";
import { setupTestDb } from "@/test/database";

const { db, url } = await setupTestDb();
vi.stubEnv("DATABASE_URL", url);
const { GET } = await import("./route");
afterAll(async () => {
  await (await import("@/server/db")).db.$disconnect();
  vi.unstubAllEnvs();
});

const get = (sha: string) =>
  GET(new Request(`http://localhost/api/avatars/${sha}`), { params: Promise.resolve({ sha }) });

describe("GET /api/avatars/[sha]", () => {
  it("serves a stored avatar's bytes with its type, cached as immutable", async () => {
    const data = randomBytes(64);
    const sha256 = createHash("sha256").update(data).digest("hex");
    await db.avatar.create({
      data: { sha256, contentType: "image/webp", width: 96, height: 96, bytes: data.length, data },
    });
    const response = await get(sha256);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/webp");
    expect(response.headers.get("cache-control")).toBe("private, max-age=31536000, immutable");
    expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
  });

  it("is 404 for a hash with nothing stored, and for anything that is not a hash", async () => {
    for (const sha of ["0".repeat(64), "A".repeat(64), "../health", "0".repeat(63), `${"0".repeat(64)}'`]) {
      const response = await get(sha);
      expect(response.status).toBe(404);
      expect(await response.text()).toBe("Not found");
    }
  });
});
