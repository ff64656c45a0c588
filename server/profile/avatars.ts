/**
 * Avatars: originals and per-network renditions, content-addressed (sha256) in Postgres.
 * Renditions are made with sharp to each network's format, pixel size and byte limit.
 */
import { createHash } from "node:crypto";
import sharp, { type Sharp } from "sharp";
import type { TCapabilities } from "../connectors/types";
import type { TDb } from "../db";
import { DomainError } from "../domain-error";
import { minutesText, takeHits } from "../rate-limit";

type TFormat = "png" | "jpeg" | "gif" | "webp";
type TAvatarRules = NonNullable<TCapabilities["avatar"]>;

export const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;
const MIN_UPLOAD_PX = 32;
const MAX_INPUT_SIDE = 4096;
/**
 * The most pixels we decode (sharp refuses more): a 1 MB PNG can claim 16,000×16,000 pixels,
 * about 1 GB once decoded. An avatar needs far fewer.
 */
export const MAX_INPUT_PIXELS = MAX_INPUT_SIDE * MAX_INPUT_SIDE;
/** Re-encoding a stored original: lossless where the format allows, near-lossless otherwise. */
const ORIGINAL_OPTIONS: Record<TFormat, object> = {
  png: {},
  gif: {},
  jpeg: { quality: 92 },
  webp: { quality: 92 },
};
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
    // Stored again: its grace period starts over, so the cleanup job cannot remove an original
    // uploaded earlier and never saved in the moment between this upload and its revision.
    update: { createdAt: new Date() },
  });
  return digest;
}

/**
 * Checks an image and stores it as an original; returns its sha256. The header is read first, so
 * an image too large to decode is refused before it costs anything; the stored original is
 * re-encoded (upright, in its own format) without its metadata: EXIF (GPS position, camera),
 * XMP, IPTC and comments never reach the database or the networks.
 */
export async function storeOriginalAvatar(db: TDb, bytes: Buffer): Promise<string> {
  if (bytes.length > MAX_UPLOAD_BYTES) {
    throw new DomainError("BAD_INPUT", "Avatars can be at most 5 MB.", { field: "avatar" });
  }
  let metadata: Awaited<ReturnType<ReturnType<typeof sharp>["metadata"]>>;
  try {
    // The header only: the pixel count is checked below, with a message that says the limit.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new DomainError("BAD_INPUT", "That file is not an image we can read.", { field: "avatar" });
  }
  const format = metadata.format as TFormat;
  if (!(format in CONTENT_TYPES)) {
    throw new DomainError("BAD_INPUT", "Use a PNG, JPEG, GIF or WebP image.", { field: "avatar" });
  }
  const pages = metadata.pages ?? 1;
  const width = metadata.width ?? 0;
  const height = metadata.pageHeight ?? metadata.height ?? 0;
  if (width < MIN_UPLOAD_PX || height < MIN_UPLOAD_PX) {
    throw new DomainError("BAD_INPUT", `Use an image of at least ${MIN_UPLOAD_PX}×${MIN_UPLOAD_PX} pixels.`, {
      field: "avatar",
    });
  }
  if (width * height * pages > MAX_INPUT_PIXELS) {
    throw new DomainError(
      "BAD_INPUT",
      `Use an image of at most ${MAX_INPUT_SIDE}×${MAX_INPUT_SIDE} pixels (an animation counts every frame).`,
      { field: "avatar" },
    );
  }
  let clean: Buffer;
  try {
    const image = sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, animated: pages > 1 });
    // Turned as its EXIF orientation says, since the orientation goes with the rest of the EXIF.
    if ((metadata.orientation ?? 1) !== 1) image.rotate();
    clean = await image.toFormat(format, ORIGINAL_OPTIONS[format]).toBuffer();
  } catch {
    throw new DomainError("BAD_INPUT", "That file is not an image we can read.", { field: "avatar" });
  }
  const stored = await sharp(clean).metadata();
  return save(db, clean, format, stored.width!, stored.pageHeight ?? stored.height!);
}

/** The per-person limit on avatar uploads from the portal (each is decoded and re-encoded). */
export const AVATAR_UPLOAD_LIMIT = { max: 30, windowMs: 60 * 60 * 1000 };

/** A person's upload from the portal: counted against their hourly limit, then stored as an original. */
export async function uploadAvatar(db: TDb, userId: string, bytes: Buffer): Promise<string> {
  await takeHits(
    db,
    [{ key: `avatar-upload:user:${userId}`, ...AVATAR_UPLOAD_LIMIT }],
    (retryAfterMs) =>
      `You have uploaded ${AVATAR_UPLOAD_LIMIT.max} avatars in the last hour. Try again in ${minutesText(retryAfterMs)}.`,
  );
  return storeOriginalAvatar(db, bytes);
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
    const resized = sharp(original, { animated: false, limitInputPixels: MAX_INPUT_PIXELS })
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

/**
 * The rendition of `sourceSha256` for one network, made once and then reused. Kept under the
 * rendition key (server/registration/network-view.ts `renditionKeyOf`): the network's id, or, for
 * an account whose avatar rules are its own, the id and a hash of those rules (the `network_id`
 * column holds the key).
 */
export async function renditionFor(
  db: TDb,
  sourceSha256: string,
  renditionKey: string,
  rules: TAvatarRules,
): Promise<string> {
  const networkId = renditionKey;
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

/**
 * Records the image a network shows as that network's rendition of an original taken from it (a
 * change made there, or an import at link): our mapping of the original for that network is then
 * exactly what it shows, so the network is not sent its own picture back re-encoded. The bytes go
 * only ever back to that network.
 */
export async function adoptRendition(
  db: TDb,
  input: { sourceSha256: string; renditionKey: string; bytes: Buffer },
): Promise<string> {
  const metadata = await sharp(input.bytes, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
  const format = metadata.format as TFormat;
  if (!(format in CONTENT_TYPES)) throw new DomainError("BAD_INPUT", "That file is not an image we can read.");
  const renditionSha256 = await save(
    db,
    input.bytes,
    format,
    metadata.width ?? 0,
    metadata.pageHeight ?? metadata.height ?? 0,
  );
  const key = { sourceSha256: input.sourceSha256, networkId: input.renditionKey };
  await db.avatarRendition.upsert({
    where: { sourceSha256_networkId: key },
    create: { ...key, renditionSha256 },
    update: { renditionSha256 },
  });
  return renditionSha256;
}
