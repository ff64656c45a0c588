/** The vendor's rules for changing a profile: validation against its limits, and applying. */
import { createHash, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { graphemeLength, SANDBOX_NETWORKS, type TImageFormat, type TSandboxNetworkId } from "./networks";
import type { TSandboxWebhookEvent } from "./events";
import {
  rememberVersion,
  type SandboxStore,
  type TAccount,
  type TApplyLogEntry,
  type TAvatar,
  type TVendorProfile,
} from "./store";

/** A refusal the vendor answers with an HTTP status and a reason, like a real API. */
export class VendorError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The profile field the refusal is about, when it is about one. */
    readonly field?: string,
  ) {
    super(message);
  }
}

export type TProfilePatch = Partial<Pick<TVendorProfile, "displayName" | "signature" | "mood" | "moodText">>;

const CONTENT_TYPES: Record<TImageFormat, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
};

/** What a patch is checked against beyond the network's fixed limits. */
export interface TPatchContext {
  /** The network's word filter: text containing one of these (any case) is refused. */
  refusedWords?: readonly string[];
  /** The profile now: a field the patch leaves as it is is not a change, so not refused for its words. */
  current?: TVendorProfile;
}

export function validatePatch(network: TSandboxNetworkId, patch: TProfilePatch, context: TPatchContext = {}): void {
  const { limits } = SANDBOX_NETWORKS[network];
  const checkText = (field: string, value: unknown, max: number) => {
    if (value === undefined) return;
    if (typeof value !== "string") throw new VendorError(400, "invalid_type", `${field} must be a string.`);
    if (graphemeLength(value) > max) {
      throw new VendorError(422, `${field}_too_long`, `${field} is limited to ${max} characters.`);
    }
  };
  checkText("displayName", patch.displayName, limits.displayNameMax);
  checkText("signature", patch.signature, limits.signatureMax);
  checkText("moodText", patch.moodText, limits.moodTextMax);
  if (patch.displayName !== undefined && patch.displayName.trim() === "") {
    throw new VendorError(422, "displayName_empty", "displayName cannot be empty.");
  }
  if (patch.mood !== undefined && patch.mood !== null && !limits.moods.includes(patch.mood)) {
    throw new VendorError(422, "mood_unknown", `mood must be one of: ${limits.moods.join(", ")}.`);
  }
  const words = (context.refusedWords ?? []).map((word) => word.toLowerCase()).filter((word) => word !== "");
  if (words.length === 0) return;
  for (const field of ["displayName", "signature", "moodText"] as const) {
    const value = patch[field];
    if (value === undefined || value === context.current?.[field]) continue;
    const text = value.toLowerCase();
    if (words.some((word) => text.includes(word))) {
      throw new VendorError(
        422,
        "content_refused",
        `${field} contains a word ${SANDBOX_NETWORKS[network].name} does not allow.`,
        field,
      );
    }
  }
}

/** Checks an uploaded image against the vendor's formats, byte size and pixel dimensions. */
export async function inspectAvatar(network: TSandboxNetworkId, bytes: Buffer): Promise<TAvatar> {
  const rules = SANDBOX_NETWORKS[network].limits.avatar;
  let metadata: Awaited<ReturnType<ReturnType<typeof sharp>["metadata"]>>;
  try {
    metadata = await sharp(bytes).metadata();
  } catch {
    throw new VendorError(415, "avatar_unreadable", "The avatar is not an image we can read.");
  }
  const format = metadata.format as TImageFormat;
  if (!rules.formats.includes(format)) {
    throw new VendorError(
      415,
      "avatar_format",
      `Avatars must be ${rules.formats.join(" or ")}, not ${metadata.format}.`,
    );
  }
  if (bytes.length > rules.maxBytes) {
    throw new VendorError(413, "avatar_too_large", `Avatars are limited to ${rules.maxBytes} bytes.`);
  }
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  const inRange = (px: number) => px >= rules.minPx && px <= rules.maxPx;
  if (!inRange(width) || !inRange(height) || (rules.isSquare && width !== height)) {
    throw new VendorError(
      422,
      "avatar_dimensions",
      `Avatars must be ${rules.isSquare ? "square, " : ""}${rules.minPx}–${rules.maxPx} px per side; this one is ${width}×${height}.`,
    );
  }
  return {
    sha256: createHash("sha256").update(bytes).digest("hex"),
    contentType: CONTENT_TYPES[format],
    width,
    height,
    bytes: bytes.length,
  };
}

export interface TChange {
  patch?: TProfilePatch;
  /** A new avatar (already inspected), or null to remove it. */
  avatar?: { meta: TAvatar; bytes: Buffer } | null;
}

/**
 * Applies a validated change, bumps the version, records each changed field in the apply log,
 * and queues the webhook that tells OneProfile (for every change, whether made in the web UI or
 * through the API — as real vendors do). Returns the fields that changed.
 *
 * The event carries the Idempotency-Key of the API request that caused it (null for changes
 * made in the web UI), as Matrix gives the sending client its own `transaction_id` back in the
 * event: that is how a client recognises its own writes, whatever their content.
 */
export function applyChange(
  store: SandboxStore,
  network: TSandboxNetworkId,
  account: TAccount,
  change: TChange,
  origin: "api" | "web",
  idempotencyKey: string | null = null,
): string[] {
  const changed: string[] = [];
  const profile = account.profile;
  // An account from before the history was kept: its present state is the first entry.
  if (!account.history) rememberVersion(account);
  for (const field of ["displayName", "signature", "mood", "moodText"] as const) {
    const value = change.patch?.[field];
    if (value !== undefined && value !== profile[field]) {
      (profile as unknown as Record<string, unknown>)[field] = value;
      changed.push(field);
    }
  }
  if (change.avatar !== undefined) {
    const next = change.avatar?.meta ?? null;
    if (next?.sha256 !== profile.avatar?.sha256) {
      if (change.avatar) writeFileSync(path.join(store.avatarDir, change.avatar.meta.sha256), change.avatar.bytes);
      profile.avatar = next;
      changed.push("avatar");
    }
  }
  if (origin === "api") account.apiWrites++;
  if (origin === "api" || changed.length > 0) store.accountChanged(network, account);
  if (changed.length > 0) {
    account.version++;
    account.updatedAt = new Date().toISOString();
    rememberVersion(account);
    store.appendLog(
      changed.map((field) => ({
        at: account.updatedAt,
        network,
        login: account.login,
        field: field as TApplyLogEntry["field"],
        value:
          field === "avatar"
            ? (profile.avatar?.sha256 ?? null)
            : ((profile as unknown as Record<string, string | null>)[field] ?? null),
        version: account.version,
        origin,
        idempotencyKey,
      })),
    );
    const id = `evt_${randomUUID()}`;
    const { avatar, ...text } = profile;
    const body: TSandboxWebhookEvent = {
      id,
      type: "profile.updated",
      network,
      login: account.login,
      origin,
      occurredAt: account.updatedAt,
      version: account.version,
      updatedAt: account.updatedAt,
      changed,
      idempotencyKey,
      profile: {
        ...text,
        avatar: avatar ? { ...avatar, url: `${store.publicUrl}/${network}/avatars/${avatar.sha256}` } : null,
      },
    };
    const delay = store.webhookChaos.maxDelayMs > 0 ? Math.floor(Math.random() * store.webhookChaos.maxDelayMs) : 0;
    store.enqueueWebhook({ id, network, attempts: 0, nextAttemptAt: Date.now() + delay, body: JSON.stringify(body) });
  }
  return changed;
}
