/**
 * Echo suppression. After applying settings to an account we remember, per field, a hash of
 * the value the network now holds. When that network later reports a change whose every field
 * matches what we applied, it is our own echo and fans out nowhere. Pure.
 */
import { createHash } from "node:crypto";
import type { TProfileField } from "../connectors/types";

export type TAppliedHashes = Partial<Record<TProfileField | "moodText", string>>;

export function hashValue(value: string | null | undefined): string {
  return createHash("sha256")
    .update(value ?? "\u0000")
    .digest("hex");
}

/** The hashes to remember after applying `settings` (avatar: the rendition's sha256). */
export function appliedHashes(settings: {
  displayName?: string;
  signature?: string;
  mood?: string | null;
  moodText?: string;
  avatarSha256?: string | null;
}): TAppliedHashes {
  const hashes: TAppliedHashes = {};
  if (settings.displayName !== undefined) hashes.displayName = hashValue(settings.displayName);
  if (settings.signature !== undefined) hashes.signature = hashValue(settings.signature);
  if (settings.mood !== undefined) hashes.mood = hashValue(settings.mood);
  if (settings.moodText !== undefined) hashes.moodText = hashValue(settings.moodText);
  if (settings.avatarSha256 !== undefined) hashes.avatar = hashValue(settings.avatarSha256);
  return hashes;
}

/** True when every reported field holds exactly what we last applied there. */
export function isEcho(lastApplied: TAppliedHashes, reported: TAppliedHashes): boolean {
  const fields = Object.keys(reported) as Array<keyof TAppliedHashes>;
  return fields.length > 0 && fields.every((field) => lastApplied[field] === reported[field]);
}
