/**
 * A client for one sandbox account, speaking the vendor's HTTP API. It signs in with the login and
 * password for a one-hour session token and keeps the token with the account's credentials
 * (written back encrypted), so neither a retry nor another worker signs in again while it is good.
 * A 401 on a kept token signs in once more; a refused password is ConnectorError("auth").
 */
import { z } from "zod";
import { vendorDownload, vendorFetch } from "../http";
import {
  ConnectorError,
  type TAccountClient,
  type TAccountContext,
  type TApplyResult,
  type TCredentials,
  type TProfileField,
  type TVendorProfile,
} from "../types";
import { SANDBOX_RULES, type TSandboxNetworkId } from "./networks";

/** Per-request timeout; a vendor that does not answer in time counts as a transient failure. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** A kept token is not used in its last minute: the vendor may expire it while a request is on its way. */
const SESSION_MARGIN_MS = 60_000;

/** The vendor's names of its text fields, as OneProfile's profile fields. */
const FIELD_OF_VENDOR: Record<string, TProfileField> = {
  displayName: "displayName",
  signature: "signature",
  mood: "mood",
  moodText: "mood",
};

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

/** The session kept in `credentials.session`. */
const ZSession = z.object({ token: z.string().min(1), expiresAt: z.number() });

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

function keptSession(credentials: TCredentials): string | null {
  if (!credentials.session) return null;
  let stored: unknown;
  try {
    stored = JSON.parse(credentials.session);
  } catch {
    return null;
  }
  const parsed = ZSession.safeParse(stored);
  return parsed.success && parsed.data.expiresAt > Date.now() ? parsed.data.token : null;
}

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

export function createSandboxClient(
  id: TSandboxNetworkId,
  context: TAccountContext,
  options: { baseUrl: string; timeoutMs: number },
): TAccountClient {
  const origin = options.baseUrl.replace(/\/$/, "");
  const api = `${origin}/${id}/api`;
  const { timeoutMs } = options;
  let credentials = context.credentials;

  async function signIn(signal?: AbortSignal) {
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
    const session = { token: answer.token, expiresAt: Date.now() + answer.expiresIn * 1000 - SESSION_MARGIN_MS };
    credentials = { ...credentials, session: JSON.stringify(session) };
    await context.saveCredentials(credentials);
    return answer;
  }

  /** Calls the API with the kept session token, signing in (again) when there is none or it expired. */
  async function withSession(signal: AbortSignal | undefined, call: (token: string) => Promise<Response>) {
    const kept = keptSession(credentials);
    if (kept) {
      try {
        return await call(kept);
      } catch (error) {
        if (!(error instanceof ConnectorError) || error.kind !== "auth") throw error;
      }
    }
    const { token } = await signIn(signal);
    return call(token);
  }

  return {
    async verify(signal) {
      return toVendorProfile((await signIn(signal)).profile);
    },

    async read(signal) {
      const response = await withSession(signal, (token) =>
        vendorFetch(`${api}/profile`, { headers: { authorization: `Bearer ${token}` }, timeoutMs, signal }),
      );
      return toVendorProfile(parseVendor(ZSandboxProfile, await response.json()));
    },

    async apply(settings, { idempotencyKeys, signal }) {
      const { avatar, ...text } = settings;
      const marks: TApplyResult["marks"] = {};
      let isReplay = false;
      const versionOf = async (response: Response) => {
        if (response.headers.get("idempotent-replayed") === "true") isReplay = true;
        return parseVendor(ZSandboxProfile, await response.json()).version;
      };
      if (Object.keys(text).length > 0) {
        const response = await refusals(
          withSession(signal, (token) =>
            vendorFetch(`${api}/profile`, {
              method: "PATCH",
              headers: {
                authorization: `Bearer ${token}`,
                "content-type": "application/json",
                "idempotency-key": idempotencyKeys.profile,
              },
              body: JSON.stringify(text),
              timeoutMs,
              signal,
            }),
          ),
        );
        const version = await versionOf(response);
        if (text.displayName !== undefined) marks.displayName = version;
        if (text.signature !== undefined) marks.signature = version;
        if (text.mood !== undefined || text.moodText !== undefined) marks.mood = version;
      }
      if (avatar !== undefined) {
        const response = await withSession(signal, (token) =>
          vendorFetch(`${api}/avatar`, {
            method: avatar ? "PUT" : "DELETE",
            headers: {
              authorization: `Bearer ${token}`,
              "idempotency-key": idempotencyKeys.avatar,
              ...(avatar ? { "content-type": avatar.contentType } : {}),
            },
            body: avatar ? new Uint8Array(avatar.bytes) : undefined,
            timeoutMs,
            signal,
          }),
        );
        marks.avatar = await versionOf(response);
      }
      return { marks, ...(isReplay ? { isReplay } : {}) };
    },

    downloadAvatar(url, signal) {
      return vendorDownload(url, { origin, maxBytes: SANDBOX_RULES[id].limits.avatar.maxBytes, timeoutMs, signal });
    },

    async close() {
      // Nothing held open: HTTP requests end with their answers.
    },
  };
}
