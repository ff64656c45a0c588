import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { SANDBOX_NETWORK_IDS } from "../../sandbox/networks";
import { sandboxDefinition } from "../connectors/sandbox/definition";
import { makeRendition } from "./avatars";

/** A noisy photo-like image: hard to compress, so byte limits really bite. */
async function photo(width: number, height: number, format: "jpeg" | "png") {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919 + (i >> 5) * 104729) % 256;
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .toFormat(format)
    .toBuffer();
}

describe("avatar renditions", () => {
  it.each(SANDBOX_NETWORK_IDS.map((id) => [id]))("fit %s's format, pixel size and byte limit", async (id) => {
    const rules = sandboxDefinition(id).capabilities.avatar!;
    for (const original of [await photo(1200, 800, "jpeg"), await photo(300, 300, "png")]) {
      const rendition = await makeRendition(original, rules);
      const metadata = await sharp(rendition.bytes).metadata();
      expect(rules.formats).toContain(metadata.format);
      expect(rendition.bytes.length).toBeLessThanOrEqual(rules.maxBytes);
      for (const side of [metadata.width!, metadata.height!]) {
        expect(side).toBeGreaterThanOrEqual(rules.minPx);
        expect(side).toBeLessThanOrEqual(rules.maxPx);
      }
      if (rules.isSquare) expect(metadata.width).toBe(metadata.height);
    }
  });

  it("keeps the original's format when the network accepts it, and converts when not", async () => {
    const png = await photo(200, 200, "png");
    expect((await makeRendition(png, sandboxDefinition("qq").capabilities.avatar!)).format).toBe("png");
    expect((await makeRendition(png, sandboxDefinition("fetion").capabilities.avatar!)).format).toBe("jpeg");
  });

  it("is deterministic, so the same avatar maps to the same rendition hash", async () => {
    const original = await photo(500, 400, "jpeg");
    const rules = sandboxDefinition("msn").capabilities.avatar!;
    const [a, b] = await Promise.all([makeRendition(original, rules), makeRendition(original, rules)]);
    expect(a.bytes.equals(b.bytes)).toBe(true);
  });
});
