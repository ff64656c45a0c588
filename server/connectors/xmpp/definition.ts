/**
 * XMPP (the open protocol behind Google Talk) as OneProfile sees it: what an account can show and
 * how a person links one. The limits are OneProfile's own where the XEPs set none (a nickname or a
 * note may be longer; longer ones help nobody on a contact list).
 */
import { isIPv4, isIPv6 } from "node:net";
import { z } from "zod";
import { MOOD_IDS } from "../../sync/moods";
import type { TNetworkDefinition } from "../types";
import { MAX_AVATAR_BYTES } from "./protocol";

/** XEP-0107 User Mood values (the XEP's normative list). */
export const XEP_0107_MOODS = [
  "afraid",
  "amazed",
  "amorous",
  "angry",
  "annoyed",
  "anxious",
  "aroused",
  "ashamed",
  "bored",
  "brave",
  "calm",
  "cautious",
  "cold",
  "confident",
  "confused",
  "contemplative",
  "contented",
  "cranky",
  "crazy",
  "creative",
  "curious",
  "dejected",
  "depressed",
  "disappointed",
  "disgusted",
  "dismayed",
  "distracted",
  "embarrassed",
  "envious",
  "excited",
  "flirtatious",
  "frustrated",
  "grateful",
  "grieving",
  "grumpy",
  "guilty",
  "happy",
  "hopeful",
  "hot",
  "humbled",
  "humiliated",
  "hungry",
  "hurt",
  "impressed",
  "in_awe",
  "in_love",
  "indignant",
  "interested",
  "intoxicated",
  "invincible",
  "jealous",
  "lonely",
  "lost",
  "lucky",
  "mean",
  "moody",
  "nervous",
  "neutral",
  "offended",
  "outraged",
  "playful",
  "proud",
  "relaxed",
  "relieved",
  "remorseful",
  "restless",
  "sad",
  "sarcastic",
  "satisfied",
  "serious",
  "shocked",
  "shy",
  "sick",
  "sleepy",
  "spontaneous",
  "stressed",
  "strong",
  "surprised",
  "thankful",
  "thirsty",
  "tired",
  "undefined",
  "weak",
  "worried",
] as const;

/** A JID as a person types it: `user@domain`, the domain in lower case (JIDs compare it so). */
export const ZJid = z
  .string()
  .trim()
  .transform((value) => {
    const at = value.lastIndexOf("@");
    return at < 0 ? value : `${value.slice(0, at)}@${value.slice(at + 1).toLowerCase()}`;
  })
  .pipe(
    z
      .string()
      .max(3071)
      .regex(/^[^@/\s]+@[a-z0-9.-]+\.?[a-z0-9-]*$/, "Enter your XMPP address, like you@jabber.example."),
  );

/**
 * The server to connect to, for a domain whose SRV records do not name it: `host` or `host:port`
 * (an IPv6 address in brackets), in lower case. Its addresses are checked when connecting (../public-address.ts).
 */
export const ZXmppServer = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(
    z
      .string()
      .max(300)
      .regex(
        /^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::([1-9]\d{0,4}))?$/,
        "Enter a server name, like xmpp.example.org or xmpp.example.org:5222.",
      )
      .refine((value) => Number(/:(\d+)$/.exec(value.replace(/^\[.*\]/, ""))?.[1] ?? 5222) <= 65535, {
        message: "A port is a number from 1 to 65535.",
      })
      .refine((value) => isHostValid(value.replace(/:\d+$/, "")), {
        message: "Enter a server name, like xmpp.example.org or xmpp.example.org:5222.",
      }),
  );

/** A host as typed: an IPv6 address in brackets, an IPv4 address, or a name with no empty label. */
function isHostValid(host: string): boolean {
  if (host.startsWith("[")) return isIPv6(host.slice(1, -1));
  if (/^[\d.]+$/.test(host)) return isIPv4(host);
  return host.split(".").every((label) => label.length > 0 && label.length <= 63);
}

export const XMPP_DEFINITION: TNetworkDefinition = {
  id: "xmpp",
  displayName: "XMPP (Jabber)",
  color: "#2e7d32",
  capabilities: {
    // XEP-0172 nickname.
    displayName: { maxGraphemes: 256 },
    // The vCard4 note (NOTES.md: the field that persists and that contacts see).
    signature: { maxGraphemes: 1000 },
    mood: {
      vocabulary: XEP_0107_MOODS,
      // OneProfile's ids are XEP-0107 values, except "cool", which XEP-0107 lacks.
      map: Object.fromEntries(MOOD_IDS.filter((id) => id !== "cool").map((id) => [id, id])),
      fallback: "undefined",
      maxTextGraphemes: 256,
      // XEP-0107: `<text/>` sits inside `<mood>` beside the mood's element; an empty `<mood/>` is "no mood".
      isTextWithMoodOnly: true,
    },
    // XEP-0084: PNG is the one format every client reads; 32–512 px, square; the byte bound keeps the
    // stanza below the server's limit (protocol.ts).
    avatar: { formats: ["png"], maxBytes: MAX_AVATAR_BYTES, minPx: 32, maxPx: 512, isSquare: true },
  },
  // Every change arrives over the account's own watch: a read-back only corrects what was missed.
  readBackEveryMs: 6 * 60 * 60 * 1000,
  loginFlows: [
    {
      kind: "password",
      loginLabel: "XMPP address",
      loginPlaceholder: "you@jabber.example",
      loginHint: "Your Jabber ID: the address you sign in with, user@server.",
      secretLabel: "XMPP password",
      loginSchema: ZJid,
      server: {
        label: "Server",
        placeholder: "xmpp.example.org:5222",
        hint: "Only if your server is not found from your address (no SRV record): its name, and port if not 5222.",
      },
      serverSchema: ZXmppServer,
    },
  ],
};
