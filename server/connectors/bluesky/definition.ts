/**
 * Bluesky (the AT Protocol) as OneProfile sees it: what an account can show — the limits of the
 * `app.bsky.actor.profile` lexicon — and how a person links one (a handle and an app password).
 */
import { ensureValidDid, isValidHandle, normalizeHandle } from "@atproto/syntax";
import { z } from "zod";
import type { TNetworkDefinition } from "../types";

/** The lexicon's avatar blob: PNG or JPEG, at most 1,000,000 bytes. */
export const MAX_AVATAR_BYTES = 1_000_000;

function isDid(value: string): boolean {
  try {
    ensureValidDid(value);
    return true;
  } catch {
    return false;
  }
}

/** A handle as a person types it (with or without the leading @, any case), or the account's DID. */
export const ZBlueskyLogin = z
  .string()
  .trim()
  .transform((value) => (value.startsWith("did:") ? value : normalizeHandle(value.replace(/^@/, ""))))
  .refine((value) => (value.startsWith("did:") ? isDid(value) : isValidHandle(value)), {
    message: "Enter your Bluesky handle, like you.bsky.social.",
  });

export const BLUESKY_DEFINITION: TNetworkDefinition = {
  id: "bluesky",
  displayName: "Bluesky",
  color: "#1185fe",
  capabilities: {
    // app.bsky.actor.profile: displayName 64 graphemes (640 bytes), description 256 (2,560 bytes).
    displayName: { maxGraphemes: 64 },
    signature: { maxGraphemes: 256 },
    // No mood. The avatar is shown cropped to a circle: OneProfile sends a square.
    avatar: { formats: ["png", "jpeg"], maxBytes: MAX_AVATAR_BYTES, minPx: 32, maxPx: 2000, isSquare: true },
  },
  // Bluesky pushes nothing per account: a change made in another app is found by reading the
  // profile record back (its CID changes with any change), once a minute.
  readBackEveryMs: 60 * 1000,
  loginFlows: [
    {
      kind: "password",
      loginLabel: "Bluesky handle",
      loginPlaceholder: "you.bsky.social",
      loginHint: "Use an app password (Settings → Privacy and security → App passwords), not your main password.",
      secretLabel: "App password",
      loginSchema: ZBlueskyLogin,
    },
  ],
};
