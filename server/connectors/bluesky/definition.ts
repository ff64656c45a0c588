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

const LOOPBACK_HOSTS = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/**
 * A hosting provider (PDS) a person names, as its origin: `pds.example` means https://pds.example.
 * Plain http only for loopback (the tests' PDS; production refuses loopback when connecting).
 */
export const ZBlueskyServer = z
  .string()
  .trim()
  .transform((value) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`))
  .pipe(z.url({ protocol: /^https?$/, error: "Enter your hosting provider's address, like https://pds.example." }))
  .transform((value) => new URL(value).origin)
  .refine((origin) => origin.startsWith("https:") || LOOPBACK_HOSTS.test(new URL(origin).hostname), {
    message: "The hosting provider must use https.",
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
      server: {
        label: "Hosting provider",
        placeholder: "https://bsky.social",
        hint: "Only if your account is on a server of your own (a PDS); leave empty for Bluesky Social.",
      },
      serverSchema: ZBlueskyServer,
    },
  ],
};
