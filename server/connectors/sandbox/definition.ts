/** The sandbox networks' definitions: their documented rules (./networks.ts) in OneProfile's terms. */
import { z } from "zod";
import { MOOD_IDS } from "../../sync/moods";
import type { TNetworkDefinition } from "../types";
import { SANDBOX_RULES, type TSandboxNetworkId } from "./networks";

/** The sandbox networks push every change (webhooks): a read-back only corrects what got lost. */
const READ_BACK_EVERY_MS = 6 * 60 * 60 * 1000;

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
  return Object.fromEntries(MOOD_IDS.map((mood, index) => [mood, SANDBOX_RULES[id].limits.moods[index]!]));
}

export function sandboxDefinition(id: TSandboxNetworkId): TNetworkDefinition {
  const { name, color, login, limits } = SANDBOX_RULES[id];
  const isEmail = id === "msn" || id === "facebook";
  return {
    id,
    displayName: name,
    color,
    readBackEveryMs: READ_BACK_EVERY_MS,
    capabilities: {
      displayName: { maxGraphemes: limits.displayNameMax },
      signature: { maxGraphemes: limits.signatureMax },
      mood: { vocabulary: limits.moods, ...MOOD_MAPS[id], maxTextGraphemes: limits.moodTextMax },
      avatar: { ...limits.avatar },
    },
    loginFlows: [
      {
        kind: "password",
        loginLabel: login.label,
        loginPlaceholder: login.placeholder,
        loginHint: login.hint,
        secretLabel: `${name} password`,
        loginSchema: z
          .string()
          .trim()
          .transform((value) => (isEmail ? value.toLowerCase() : value))
          .pipe(z.string().regex(login.pattern, `Enter a valid ${login.label}. ${login.hint}`)),
      },
    ],
  };
}
