/**
 * Avatars: originals and per-network renditions, content-addressed (sha256) in Postgres.
 * Renditions are made with sharp to each network's format, pixel size and byte limit.
 */
import { createHash } from "node:crypto";
import sharp, { type Sharp } from "sharp";
import type { TCapabilities } from "../connectors/types";
import type { TDb } from "../db";
import { DomainError } from "../domain-error";

type TFormat = "png" | "jpeg" | "gif" | "webp";
type TAvatarRules = NonNullable<TCapabilities["avatar"]>;

export const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;
const MIN_UPLOAD_PX = 32;
const CONTENT_TYPES: Record<TFormat, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
};

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

async function save(db: TDb, bytes: Buffer, format: TFormat, width: number, height: number): Promise<string> {
  const digest = sha256(bytes);
  await db.avatar.upsert({
    where: { sha256: digest },
    create: {
      sha256: digest,
      contentType: CONTENT_TYPES[format],
      width,
      height,
      bytes: bytes.length,
      data: new Uint8Array(bytes),
    },
    update: {},
  });
  return digest;
}

/** Checks an upload and stores it as an original; returns its sha256. */
export async function storeOriginalAvatar(db: TDb, bytes: Buffer): Promise<string> {
  if (bytes.length > MAX_UPLOAD_BYTES) {
    throw new DomainError("BAD_INPUT", "Avatars can be at most 5 MB.", { field: "avatar" });
  }
  let metadata: Awaited<ReturnType<ReturnType<typeof sharp>["metadata"]>>;
  try {
    metadata = await sharp(bytes).metadata();
  } catch {
    throw new DomainError("BAD_INPUT", "That file is not an image we can read.", { field: "avatar" });
  }
  const format = metadata.format as TFormat;
  if (!(format in CONTENT_TYPES)) {
    throw new DomainError("BAD_INPUT", "Use a PNG, JPEG, GIF or WebP image.", { field: "avatar" });
  }
  if ((metadata.width ?? 0) < MIN_UPLOAD_PX || (metadata.height ?? 0) < MIN_UPLOAD_PX) {
    throw new DomainError("BAD_INPUT", `Use an image of at least ${MIN_UPLOAD_PX}×${MIN_UPLOAD_PX} pixels.`, {
      field: "avatar",
    });
  }
  return save(db, bytes, format, metadata.width!, metadata.height!);
}

/** Encodes `image` in `format`, lowering quality until it fits `maxBytes`; null if it cannot. */
async function encodeWithin(image: Sharp, format: TFormat, maxBytes: number): Promise<Buffer | null> {
  const qualities = format === "png" || format === "gif" ? [100] : [90, 80, 70, 60, 50, 40];
  for (const quality of qualities) {
    const bytes = await image
      .clone()
      .toFormat(format, format === "png" ? { compressionLevel: 9, palette: true } : { quality })
      .toBuffer();
    if (bytes.length <= maxBytes) return bytes;
  }
  return null;
}

/** Makes the image fit a network's rules; deterministic for the same input. */
export async function makeRendition(
  original: Buffer,
  rules: TAvatarRules,
): Promise<{ bytes: Buffer; format: TFormat; width: number; height: number }> {
  const metadata = await sharp(original).metadata();
  const sourceFormat = metadata.format as TFormat;
  const formats: TFormat[] = rules.formats.includes(sourceFormat)
    ? [sourceFormat, ...rules.formats.filter((f) => f !== sourceFormat)]
    : [...rules.formats];
  const width = metadata.width ?? rules.maxPx;
  const height = metadata.height ?? rules.maxPx;
  let side = Math.min(
    rules.maxPx,
    Math.max(rules.minPx, rules.isSquare ? Math.min(width, height) : Math.max(width, height)),
  );
  // Smaller and smaller until one of the allowed formats fits the byte limit.
  while (side >= rules.minPx) {
    const resized = sharp(original, { animated: false })
      .rotate()
      .resize(side, side, { fit: rules.isSquare ? "cover" : "inside", withoutEnlargement: false });
    for (const format of formats) {
      const bytes = await encodeWithin(resized, format, rules.maxBytes);
      if (bytes) {
        const out = await sharp(bytes).metadata();
        return { bytes, format, width: out.width!, height: out.height! };
      }
    }
    if (side === rules.minPx) break;
    side = Math.max(rules.minPx, Math.floor(side * 0.8));
  }
  throw new DomainError("BAD_INPUT", "This image cannot be made small enough for every network.", { field: "avatar" });
}

/** The rendition of `sourceSha256` for one network, made once and then reused. */
export async function renditionFor(
  db: TDb,
  sourceSha256: string,
  networkId: string,
  rules: TAvatarRules,
): Promise<string> {
  const known = await db.avatarRendition.findUnique({
    where: { sourceSha256_networkId: { sourceSha256, networkId } },
  });
  if (known) return known.renditionSha256;
  const original = await db.avatar.findUniqueOrThrow({ where: { sha256: sourceSha256 } });
  const rendition = await makeRendition(Buffer.from(original.data), rules);
  const renditionSha256 = await save(db, rendition.bytes, rendition.format, rendition.width, rendition.height);
  await db.avatarRendition.upsert({
    where: { sourceSha256_networkId: { sourceSha256, networkId } },
    create: { sourceSha256, networkId, renditionSha256 },
    update: {},
  });
  return renditionSha256;
}
