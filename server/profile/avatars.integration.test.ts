/**
 * Storing avatars on a real database: originals lose their metadata. The pixel limit and the
 * upload rate limit are tested over HTTP (server/api/routers/profile/profile.integration.test.ts).
 */
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { storeOriginalAvatar } from "./avatars";

const { db } = await setupTestDb();

describe("storing an avatar", () => {
  it("stores the original without its EXIF (GPS, camera), turned upright as the EXIF said", async () => {
    const photo = await sharp({ create: { width: 64, height: 32, channels: 3, background: "#c33" } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .withExif({ IFD0: { Copyright: "Ada Lovelace" }, IFD3: { GPSMapDatum: "WGS-84", GPSLatitudeRef: "N" } })
      .toBuffer();
    expect((await sharp(photo).metadata()).exif).toBeDefined();
    expect(photo.includes("WGS-84")).toBe(true);

    const sha = await storeOriginalAvatar(db, photo);
    const stored = await db.avatar.findUniqueOrThrow({ where: { sha256: sha } });
    const bytes = Buffer.from(stored.data);
    const metadata = await sharp(bytes).metadata();
    expect([metadata.exif, metadata.xmp, metadata.iptc, metadata.orientation]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(bytes.includes("WGS-84") || bytes.includes("Ada Lovelace")).toBe(false);
    // Orientation 6 means "turn 90° clockwise": the stored image is upright, 32 wide and 64 high.
    expect([metadata.width, metadata.height, stored.width, stored.height]).toEqual([32, 64, 32, 64]);
    expect(stored.contentType).toBe("image/jpeg");
  });

  it("keeps an animation's frames", async () => {
    const red = await sharp({ create: { width: 40, height: 40, channels: 3, background: "#f00" } })
      .raw()
      .toBuffer();
    const blue = await sharp({ create: { width: 40, height: 40, channels: 3, background: "#00f" } })
      .raw()
      .toBuffer();
    const animated = await sharp(Buffer.concat([red, blue]), {
      raw: { width: 40, height: 80, channels: 3, pageHeight: 40 },
    })
      .gif()
      .toBuffer();
    const sha = await storeOriginalAvatar(db, animated);
    const stored = await db.avatar.findUniqueOrThrow({ where: { sha256: sha } });
    expect((await sharp(Buffer.from(stored.data)).metadata()).pages).toBe(2);
    expect([stored.width, stored.height]).toEqual([40, 40]);
  });
});
