/**
 * The sandbox connector: one implementation for the four emulated networks (QQ, MSN, Fetion,
 * Facebook), parameterised by network. It speaks the sandbox vendor's HTTP API.
 */
import { z } from "zod";
import { MOOD_IDS } from "../../sync/moods";
import { SANDBOX_NETWORKS, type TSandboxNetworkId } from "../../../sandbox/networks";
import { vendorFetch } from "../http";
import type { TConnector, TCredentials, TMappedSettings, TNetworkDefinition, TVendorProfile } from "../types";

/** Per-request timeout; a vendor that does not answer in time counts as a transient failure. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * OneProfile's moods in each network's words. QQ, MSN and Fetion have an equivalent for every
 * one (their vocabularies follow the same order); Facebook lacks "cool", so it gets "happy".
 */
const MOOD_MAPS: Record<TSandboxNetworkId, { map: Record<string, string>; fallback: string | null }> = {
  qq: { map: byPosition("qq"), fallback: null },
  msn: { map: byPosition("msn"), fallback: null },
  fetion: { map: byPosition("fetion"), fallback: null },
  facebook: {
    map: {
      happy: "happy",
      sad: "sad",
      angry: "angry",
      sleepy: "tired",
      excited: "excited",
      relaxed: "relaxed",
      sick: "sick",
      in_love: "loved",
      bored: "bored",
    },
    fallback: "happy",
  },
};

function byPosition(id: TSandboxNetworkId): Record<string, string> {
  return Object.fromEntries(MOOD_IDS.map((mood, index) => [mood, SANDBOX_NETWORKS[id].limits.moods[index]!]));
}

export function sandboxDefinition(id: TSandboxNetworkId): TNetworkDefinition {
  const network = SANDBOX_NETWORKS[id];
  const { limits } = network;
  const isEmail = id === "msn" || id === "facebook";
  return {
    id,
    displayName: network.name,
    kind: "sandbox",
    color: network.color,
    capabilities: {
      displayName: { maxGraphemes: limits.displayNameMax },
      signature: { maxGraphemes: limits.signatureMax },
      mood: { vocabulary: limits.moods, ...MOOD_MAPS[id], maxTextGraphemes: limits.moodTextMax },
      avatar: { ...limits.avatar },
    },
    loginForm: {
      loginLabel: network.login.label,
      loginPlaceholder: network.login.placeholder,
      loginHint: network.login.hint,
      secretLabel: `${network.name} password`,
    },
    loginSchema: z
      .string()
      .trim()
      .transform((value) => (isEmail ? value.toLowerCase() : value))
      .pipe(z.string().regex(network.login.pattern, `Enter a valid ${network.login.label}. ${network.login.hint}`)),
  };
}

interface TSandboxProfile {
  displayName: string;
  signature: string;
  mood: string | null;
  avatar: { url: string } | null;
}

function toVendorProfile(profile: TSandboxProfile): TVendorProfile {
  return {
    displayName: profile.displayName,
    signature: profile.signature,
    mood: profile.mood,
    avatarUrl: profile.avatar?.url ?? null,
  };
}

export function createSandboxConnector(
  id: TSandboxNetworkId,
  baseUrl: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): TConnector {
  const api = `${baseUrl.replace(/\/$/, "")}/${id}/api`;

  async function session(credentials: TCredentials): Promise<{ token: string; profile: TSandboxProfile }> {
    const response = await vendorFetch(`${api}/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: credentials.login, password: credentials.secret }),
      timeoutMs,
    });
    return (await response.json()) as { token: string; profile: TSandboxProfile };
  }

  return {
    definition: sandboxDefinition(id),

    async verify(credentials) {
      return toVendorProfile((await session(credentials)).profile);
    },

    async read(credentials) {
      const { token } = await session(credentials);
      const response = await vendorFetch(`${api}/profile`, {
        headers: { authorization: `Bearer ${token}` },
        timeoutMs,
      });
      return toVendorProfile((await response.json()) as TSandboxProfile);
    },

    async apply(credentials, settings: TMappedSettings, idempotencyKey) {
      const { token } = await session(credentials);
      const auth = { authorization: `Bearer ${token}` };
      const { avatar, ...text } = settings;
      if (Object.keys(text).length > 0) {
        await vendorFetch(`${api}/profile`, {
          method: "PATCH",
          headers: { ...auth, "content-type": "application/json", "idempotency-key": `${idempotencyKey}:profile` },
          body: JSON.stringify(text),
          timeoutMs,
        });
      }
      if (avatar !== undefined) {
        await vendorFetch(`${api}/avatar`, {
          method: avatar ? "PUT" : "DELETE",
          headers: {
            ...auth,
            "idempotency-key": `${idempotencyKey}:avatar`,
            ...(avatar ? { "content-type": avatar.contentType } : {}),
          },
          body: avatar ? new Uint8Array(avatar.bytes) : undefined,
          timeoutMs,
        });
      }
    },
  };
}
