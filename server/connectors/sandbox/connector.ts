/**
 * The sandbox connector: one implementation for the four emulated networks (QQ, MSN, Fetion,
 * Facebook), parameterised by network. It speaks the sandbox vendor's HTTP API.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { MOOD_IDS } from "../../sync/moods";
import { SANDBOX_NETWORKS, type TSandboxNetworkId } from "../../../sandbox/networks";
import { vendorDownload, vendorFetch } from "../http";
import {
  ConnectorError,
  type TApplyResult,
  type TConnector,
  type TCredentials,
  type TMappedSettings,
  type TNetworkDefinition,
  type TProfileField,
  type TNetworkReport,
  type TVendorProfile,
} from "../types";

/** Per-request timeout; a vendor that does not answer in time counts as a transient failure. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** The sandbox networks push every change (webhooks): a read-back only corrects what got lost. */
const READ_BACK_EVERY_MS = 6 * 60 * 60 * 1000;

/** The vendor's names of its text fields, as OneProfile's profile fields. */
const FIELD_OF_VENDOR: Record<string, TProfileField> = {
  displayName: "displayName",
  signature: "signature",
  mood: "mood",
  moodText: "mood",
};

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
    readBackEveryMs: READ_BACK_EVERY_MS,
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

/** The vendor's profile as its API returns it, checked before anything uses it. */
const ZSandboxProfile = z.object({
  displayName: z.string().max(4000),
  signature: z.string().max(4000),
  mood: z.string().max(100).nullable(),
  moodText: z.string().max(4000).optional(),
  avatar: z.object({ url: z.string().max(2000), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).nullable(),
  version: z.number().int().nonnegative(),
});
type TSandboxProfile = z.infer<typeof ZSandboxProfile>;

/** A vendor answer of the wrong shape is the vendor's fault: refused, never passed on. */
function parseVendor<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new ConnectorError("permanent", "The network answered with a profile OneProfile cannot read.");
  return parsed.data;
}

function toVendorProfile(profile: TSandboxProfile): TVendorProfile {
  return {
    displayName: profile.displayName,
    signature: profile.signature,
    mood: profile.mood,
    moodText: profile.moodText ?? null,
    avatar: profile.avatar ? { url: profile.avatar.url, sha256: profile.avatar.sha256 } : null,
    mark: profile.version,
  };
}

/** The sandbox's webhook event, checked field by field before anything uses it. */
const ZSandboxEvent = z.object({
  type: z.literal("profile.updated"),
  login: z.string().min(1).max(320),
  version: z.number().int().nonnegative(),
  idempotencyKey: z.string().max(500).nullable().optional(),
  changed: z.array(z.string().max(40)).max(10),
  profile: z.object({
    displayName: z.string().max(4000),
    signature: z.string().max(4000),
    mood: z.string().max(100).nullable(),
    moodText: z.string().max(4000).optional(),
    avatar: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), url: z.string().max(2000) }).nullable(),
  }),
});

const SESSION_MARGIN_MS = 60_000;

/** The vendor's word filter refuses a value for good: which field, so the others still go. */
async function refusals(response: Promise<Response>): Promise<Response> {
  try {
    return await response;
  } catch (error) {
    const field = error instanceof ConnectorError ? FIELD_OF_VENDOR[error.vendorField ?? ""] : undefined;
    if (error instanceof ConnectorError && error.vendorCode === "content_refused" && field) {
      throw new ConnectorError("refused", error.message, undefined, [field]);
    }
    throw error;
  }
}

export function createSandboxConnector(
  id: TSandboxNetworkId,
  baseUrl: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): TConnector {
  const origin = baseUrl.replace(/\/$/, "");
  const api = `${origin}/${id}/api`;
  const { limits } = SANDBOX_NETWORKS[id];
  // Session tokens by account and password: the vendor issues one-hour tokens, so a scrypt
  // sign-in per write is not needed. A 401 on a kept token signs in again once.
  const sessions = new Map<string, { token: string; expiresAt: number }>();
  const sessionKey = (credentials: TCredentials) =>
    `${credentials.login}\u0000${createHash("sha256").update(credentials.secret).digest("hex")}`;

  async function signIn(credentials: TCredentials, signal?: AbortSignal) {
    const response = await vendorFetch(`${api}/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: credentials.login, password: credentials.secret }),
      timeoutMs,
      signal,
    });
    const answer = parseVendor(
      z.object({ token: z.string().min(1), expiresIn: z.number().positive(), profile: ZSandboxProfile }),
      await response.json(),
    );
    sessions.set(sessionKey(credentials), {
      token: answer.token,
      expiresAt: Date.now() + answer.expiresIn * 1000 - SESSION_MARGIN_MS,
    });
    return answer;
  }

  /** Calls the API with a kept session token, signing in (again) when there is none or it expired. */
  async function withSession(
    credentials: TCredentials,
    signal: AbortSignal | undefined,
    call: (token: string) => Promise<Response>,
  ): Promise<Response> {
    const kept = sessions.get(sessionKey(credentials));
    if (kept && kept.expiresAt > Date.now()) {
      try {
        return await call(kept.token);
      } catch (error) {
        if (!(error instanceof ConnectorError) || error.kind !== "auth") throw error;
        sessions.delete(sessionKey(credentials));
      }
    }
    const { token } = await signIn(credentials, signal);
    return call(token);
  }

  return {
    definition: sandboxDefinition(id),

    async verify(credentials) {
      return toVendorProfile((await signIn(credentials)).profile);
    },

    async read(credentials) {
      const response = await withSession(credentials, undefined, (token) =>
        vendorFetch(`${api}/profile`, { headers: { authorization: `Bearer ${token}` }, timeoutMs }),
      );
      return toVendorProfile(parseVendor(ZSandboxProfile, await response.json()));
    },

    async apply(credentials, settings: TMappedSettings, options) {
      const { avatar, ...text } = settings;
      const marks: TApplyResult["marks"] = {};
      let isReplay = false;
      const versionOf = async (response: Response) => {
        if (response.headers.get("idempotent-replayed") === "true") isReplay = true;
        return parseVendor(ZSandboxProfile, await response.json()).version;
      };
      if (Object.keys(text).length > 0) {
        const response = await refusals(
          withSession(credentials, options.signal, (token) =>
            vendorFetch(`${api}/profile`, {
              method: "PATCH",
              headers: {
                authorization: `Bearer ${token}`,
                "content-type": "application/json",
                "idempotency-key": options.idempotencyKeys.profile,
              },
              body: JSON.stringify(text),
              timeoutMs,
              signal: options.signal,
            }),
          ),
        );
        const version = await versionOf(response);
        if (text.displayName !== undefined) marks.displayName = version;
        if (text.signature !== undefined) marks.signature = version;
        if (text.mood !== undefined || text.moodText !== undefined) marks.mood = version;
      }
      if (avatar !== undefined) {
        const response = await withSession(credentials, options.signal, (token) =>
          vendorFetch(`${api}/avatar`, {
            method: avatar ? "PUT" : "DELETE",
            headers: {
              authorization: `Bearer ${token}`,
              "idempotency-key": options.idempotencyKeys.avatar,
              ...(avatar ? { "content-type": avatar.contentType } : {}),
            },
            body: avatar ? new Uint8Array(avatar.bytes) : undefined,
            timeoutMs,
            signal: options.signal,
          }),
        );
        marks.avatar = await versionOf(response);
      }
      return { marks, ...(isReplay ? { isReplay } : {}) };
    },

    parseReport(payload) {
      const parsed = ZSandboxEvent.safeParse(payload);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ConnectorError(
          "permanent",
          `The event is not valid: ${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}.`,
        );
      }
      const event = parsed.data;
      const changed = new Set(event.changed);
      const report: TNetworkReport = {
        login: event.login,
        fields: [],
        values: {},
        mark: event.version,
        writeKey: event.idempotencyKey ?? null,
        // The sandbox names the key of every API write in its events: one without is a web change.
        isWriterKnown: true,
      };
      if (changed.has("displayName")) {
        report.fields.push("displayName");
        report.values.displayName = event.profile.displayName;
      }
      if (changed.has("signature")) {
        report.fields.push("signature");
        report.values.signature = event.profile.signature;
      }
      if (changed.has("mood") || changed.has("moodText")) {
        report.fields.push("mood");
        report.values.mood = event.profile.mood;
        report.values.moodText = event.profile.moodText ?? "";
      }
      if (changed.has("avatar")) {
        report.fields.push("avatar");
        report.values.avatar = event.profile.avatar;
      }
      return report;
    },

    downloadAvatar(url, signal) {
      return vendorDownload(url, { origin, maxBytes: limits.avatar.maxBytes, timeoutMs, signal });
    },
  };
}
