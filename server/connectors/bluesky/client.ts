/**
 * A client for one Bluesky account, through @atproto/api. It opens a session with the handle and
 * app password (`com.atproto.server.createSession`) at the entryway, which names the account's own
 * PDS in its DID document; the session — that PDS and its tokens, refreshed by the library — is kept
 * with the account's credentials (written back encrypted), so neither a retry nor another worker
 * signs in again while it is good. A session refused for good signs in once more; a refused app
 * password is ConnectorError("auth").
 *
 * The profile is one record, `app.bsky.actor.profile/self`. A write reads it, changes only the
 * fields being sent (whatever else another app put there stays) and puts it back with `swapRecord`,
 * its CID when read: an edit made elsewhere in between fails the swap, and the write starts again
 * from what that edit left. The record's CID is the mark of every field (no order: compared by
 * equality). Every record is checked against the lexicon before it is sent.
 */
import { createHash } from "node:crypto";
import { Agent, CredentialSession, jsonToLex, lexicons, lexToJson, XRPCError, type AtpSessionData } from "@atproto/api";
import { z } from "zod";
import { createCheckedFetch } from "../checked-fetch";
import { logError } from "../../log";
import { classifyNetworkFailure, parseRetryAfter, vendorDownload } from "../http";
import {
  ConnectorError,
  type TAccountClient,
  type TAccountContext,
  type TApplyResult,
  type TCredentials,
  type TProfileField,
  type TVendorProfile,
} from "../types";
import { MAX_AVATAR_BYTES } from "./definition";

export interface TBlueskyConfig {
  /** Where sessions are opened: the entryway that finds each account's PDS (https://bsky.social). */
  service: string;
  /** Test-only: a PDS on loopback may be reached (the tests' own); never in production. */
  isLoopbackAllowed: boolean;
  timeoutMs?: number;
}

export const BLUESKY_ENTRYWAY = "https://bsky.social";
export const PROFILE_COLLECTION = "app.bsky.actor.profile";
const PROFILE_RKEY = "self";
const DEFAULT_TIMEOUT_MS = 10_000;
/** Writes started again after an edit made elsewhere failed the swap, before giving up for now. */
const MAX_SWAP_ATTEMPTS = 3;
/** sha2-256's multihash code: a blob's CID carries the SHA-256 of its bytes. */
const SHA2_256 = 0x12;

/** The scope of a session opened with the main password (an app password's is com.atproto.appPass). */
const FULL_SCOPE = "com.atproto.access";

/** The scope an access token claims (read, not verified: it is our own session's). */
function scopeOf(jwt: string | undefined): string | null {
  try {
    const payload = JSON.parse(Buffer.from(jwt?.split(".")[1] ?? "", "base64url").toString("utf8")) as unknown;
    return typeof payload === "object" && payload !== null && "scope" in payload && typeof payload.scope === "string"
      ? payload.scope
      : null;
  } catch {
    return null;
  }
}

/** The lexicon's names of the fields, as OneProfile's. */
const FIELD_OF_PROPERTY: Record<string, TProfileField> = {
  displayName: "displayName",
  description: "signature",
  avatar: "avatar",
};

/** The session kept in `credentials.session`: the account's PDS and the library's session data. */
const ZKeptSession = z.object({
  pds: z.string().url().nullable(),
  data: z.object({
    did: z.string().min(1),
    handle: z.string(),
    accessJwt: z.string().min(1),
    refreshJwt: z.string().min(1),
    active: z.boolean(),
  }),
});

/** The profile record as read (lexicon JSON), checked before anything uses it. */
/** An avatar blob as lexicon JSON: a typed blob, or the legacy {cid, mimeType}. */
const ZTypedBlob = z.looseObject({ ref: z.object({ $link: z.string().min(1).max(200) }) });
const ZLegacyBlob = z.looseObject({ cid: z.string().min(1).max(200) });

/** The CID of the avatar's blob, if the record has one OneProfile can read. */
function avatarLinkOf(avatar: unknown): string | null {
  const json = lexToJson(avatar ?? null);
  const typed = ZTypedBlob.safeParse(json);
  if (typed.success) return typed.data.ref.$link;
  const legacy = ZLegacyBlob.safeParse(json);
  return legacy.success ? legacy.data.cid : null;
}

const ZProfileRecord = z.looseObject({
  displayName: z.string().max(10_000).optional(),
  description: z.string().max(10_000).optional(),
});

const AUTH_ERRORS = new Set(["AuthenticationRequired", "ExpiredToken", "InvalidToken", "AccountTakedown"]);

/** The network's answer or failure as a ConnectorError (never the tokens or the password). */
export function toConnectorError(error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  // A private address or an oversized answer, wherever the library wrapped it.
  const verdict = classifyNetworkFailure(error);
  if (verdict.kind === "permanent") return verdict;
  if (error instanceof XRPCError) {
    // The vendor's words, shown on Activity: kept short.
    const message = error.message && error.message !== error.error ? error.message.slice(0, 300) : "";
    if (error.status === 401 || AUTH_ERRORS.has(error.error)) {
      return new ConnectorError("auth", message || "Bluesky refused the handle or app password.");
    }
    if (error.status === 429) {
      const headers = error.headers ?? {};
      const reset = Number(headers["ratelimit-reset"]);
      const retryAfterMs = Number.isFinite(reset)
        ? Math.max(0, reset * 1000 - Date.now())
        : parseRetryAfter(headers["retry-after"] ?? null);
      return new ConnectorError("rate_limited", message || "Bluesky asked us to slow down.", retryAfterMs);
    }
    // 1 and 2 are the library's own codes: no answer, or one it could not read.
    if (error.status >= 500 || error.status < 100) {
      return error.status < 100 && !(error.cause instanceof XRPCError)
        ? classifyNetworkFailure(error.cause ?? error)
        : new ConnectorError("transient", message || `Bluesky answered ${error.status}.`);
    }
    const failure = new ConnectorError("permanent", message || `Bluesky refused the request (${error.error}).`);
    failure.vendorCode = error.error.slice(0, 100);
    return failure;
  }
  return classifyNetworkFailure(error);
}

/** The raw codec: a CID of the bytes themselves (not of a structure holding them). */
const RAW_CODEC = 0x55;

/** The SHA-256 a blob's CID carries (raw bytes hashed with SHA-256, as a PDS does), or null. */
function sha256Of(link: string): string | null {
  // Decoded by the library (duck-typed: its CID class may be another copy's than ours).
  const cid = jsonToLex({ $link: link }) as { code?: unknown; multihash?: { code?: unknown; digest?: unknown } };
  const digest = cid.multihash?.digest;
  return cid.code === RAW_CODEC && cid.multihash?.code === SHA2_256 && digest instanceof Uint8Array
    ? Buffer.from(digest).toString("hex")
    : null;
}

/** The lexicon's verdict on a record; a field it names is refused, not retried. */
function checkRecord(record: Record<string, unknown>): void {
  try {
    lexicons.assertValidRecord(PROFILE_COLLECTION, record);
  } catch (error) {
    const message = error instanceof Error ? error.message : "invalid";
    const property = /^Record\/(\w+)/.exec(message)?.[1] ?? "";
    const field = FIELD_OF_PROPERTY[property];
    const text = `Bluesky does not accept it: ${message.replace(/^Record\//, "")}.`;
    throw field
      ? new ConnectorError("refused", text, undefined, [field])
      : new ConnectorError("permanent", `The profile record is not valid: ${message}.`);
  }
}

/** A request as the lexicon describes it (the library checks only the answers). */
function checkInput(method: string, input: unknown): void {
  try {
    lexicons.assertValidXrpcInput(method, input);
  } catch (error) {
    throw new ConnectorError("permanent", `The ${method} request is not valid: ${String(error)}.`);
  }
}

/**
 * `http`: how requests go out — the checked fetch (connections to public addresses only); a test may
 * wrap it to act between two requests.
 */
export function createBlueskyClient(
  context: TAccountContext,
  config: TBlueskyConfig,
  http: ReturnType<typeof createCheckedFetch> = createCheckedFetch({
    isLoopbackAllowed: config.isLoopbackAllowed,
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  }),
): TAccountClient {
  let credentials = context.credentials;
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  /**
   * Credentials written back in the order the library renewed them. A save that failed (the
   * database away a moment) is logged and left: the session still works, and the next renewal or
   * sign-in writes one back again; it never turns the vendor's answer into a failure.
   */
  let saving: Promise<void> = Promise.resolve();
  const save = (next: TCredentials) => {
    credentials = next;
    saving = saving
      .then(() => context.saveCredentials(next))
      .catch((error: unknown) => logError("Bluesky session write-back", error));
  };
  const session = new CredentialSession(new URL(config.service), http.fetch, (event, data) => {
    if (event === "expired") {
      // Refused for good (its refresh token too): not kept, so no client tries it again.
      const { session: _dropped, ...rest } = credentials;
      save(rest);
      return;
    }
    if ((event !== "create" && event !== "update") || !data) return;
    save({ ...credentials, session: JSON.stringify({ pds: session.pdsUrl?.href ?? null, data }) });
  });
  const agent = new Agent(session);

  // A session kept from an earlier run, when it is readable.
  if (credentials.session) {
    try {
      const kept = ZKeptSession.parse(JSON.parse(credentials.session));
      session.session = kept.data as AtpSessionData;
      if (kept.pds) session.pdsUrl = new URL(kept.pds);
    } catch {
      // Unreadable: signed in afresh on first use.
    }
  }

  /** Set once Bluesky refused the app password: it is not tried again (a new one makes a new client). */
  let refusal: ConnectorError | null = null;

  async function signIn(): Promise<void> {
    if (refusal) throw refusal;
    session.session = undefined;
    session.pdsUrl = undefined;
    try {
      await session.login({ identifier: credentials.login, password: credentials.secret });
    } catch (error) {
      const failure = toConnectorError(error);
      if (failure.kind === "auth") refusal = failure;
      throw failure;
    }
    // A main password opens a session of full scope: OneProfile asks for an app password only.
    const opened = session.session as AtpSessionData | undefined;
    if (scopeOf(opened?.accessJwt) === FULL_SCOPE) {
      session.session = undefined;
      refusal = new ConnectorError(
        "permanent",
        "This is the account's main password. Make an app password in Bluesky (Settings → Privacy and security → App passwords) and use that.",
      );
      throw refusal;
    }
  }

  /** Renews the kept session with its refresh token; false when there is none or it was refused. */
  async function renewed(): Promise<boolean> {
    if (!session.session?.refreshJwt) return false;
    try {
      await session.refreshSession();
      return session.session !== undefined;
    } catch {
      return false;
    }
  }

  /**
   * Runs `call` with a session, opening one when there is none, and once more with a renewed session
   * (or a new sign-in) when the kept one was refused; failures come out as ConnectorErrors.
   */
  async function withSession<T>(call: (did: string) => Promise<T>): Promise<T> {
    try {
      if (!session.session) await signIn();
      try {
        return await call(session.session!.did);
      } catch (error) {
        if (toConnectorError(error).kind !== "auth") throw error;
        // The access token refused: renew it with the refresh token, else sign in again.
        if (!(await renewed())) await signIn();
        return await call(session.session!.did);
      }
    } catch (error) {
      throw toConnectorError(error);
    } finally {
      await saving;
    }
  }

  /** The profile record and its CID; an account that never set one has none (null). */
  async function getProfile(did: string, signal?: AbortSignal) {
    try {
      const { data } = await agent.com.atproto.repo.getRecord(
        { repo: did, collection: PROFILE_COLLECTION, rkey: PROFILE_RKEY },
        { signal },
      );
      return { cid: data.cid ?? null, value: data.value as Record<string, unknown> };
    } catch (error) {
      if (error instanceof XRPCError && error.error === "RecordNotFound") return { cid: null, value: null };
      throw error;
    }
  }

  function blobUrl(did: string, link: string): string {
    const pds = session.pdsUrl ?? session.serviceUrl;
    const url = new URL("/xrpc/com.atproto.sync.getBlob", pds);
    url.searchParams.set("did", did);
    url.searchParams.set("cid", link);
    return url.href;
  }

  async function download(url: string, signal?: AbortSignal): Promise<Buffer> {
    const pds = session.pdsUrl ?? session.serviceUrl;
    try {
      return await vendorDownload(url, {
        origin: pds.origin,
        maxBytes: MAX_AVATAR_BYTES,
        timeoutMs,
        fetch: http.fetch,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      throw toConnectorError(error);
    }
  }

  async function toVendorProfile(
    did: string,
    record: { cid: string | null; value: Record<string, unknown> | null },
    signal?: AbortSignal,
  ): Promise<TVendorProfile> {
    const parsed = ZProfileRecord.safeParse(record.value ?? {});
    if (!parsed.success) {
      throw new ConnectorError("permanent", "Bluesky answered with a profile OneProfile cannot read.");
    }
    const { displayName, description } = parsed.data;
    const link = avatarLinkOf(record.value?.avatar);
    let shown: TVendorProfile["avatar"] = null;
    if (link) {
      const url = blobUrl(did, link);
      // A blob's CID is the hash of its bytes: nothing to download unless it uses another hash.
      const sha256 =
        sha256Of(link) ??
        createHash("sha256")
          .update(await download(url, signal))
          .digest("hex");
      shown = { url, sha256 };
    }
    return {
      displayName: displayName ?? "",
      signature: description ?? "",
      mood: null,
      moodText: null,
      avatar: shown,
      mark: record.cid,
    };
  }

  return {
    async verify(signal) {
      // A link checks the app password itself, not a session kept from before.
      try {
        await signIn();
      } catch (error) {
        await saving;
        throw toConnectorError(error);
      }
      return withSession(async (did) => toVendorProfile(did, await getProfile(did, signal), signal));
    },

    async read(signal) {
      return withSession(async (did) => toVendorProfile(did, await getProfile(did, signal), signal));
    },

    async apply(settings, { signal }) {
      return withSession(async (did) => {
        let avatarBlob: unknown = null;
        if (settings.avatar) {
          const { data } = await agent.com.atproto.repo.uploadBlob(new Uint8Array(settings.avatar.bytes), {
            encoding: settings.avatar.contentType,
            signal,
          });
          avatarBlob = data.blob;
        }
        for (let attempt = 1; ; attempt++) {
          const current = await getProfile(did, signal);
          const record: Record<string, unknown> = { ...(current.value ?? {}), $type: PROFILE_COLLECTION };
          const written = new Set<string>();
          const put = (property: string, value: unknown) => {
            written.add(property);
            if (value === "" || value === null) delete record[property];
            else record[property] = value;
          };
          if (settings.displayName !== undefined) put("displayName", settings.displayName);
          if (settings.signature !== undefined) put("description", settings.signature);
          if (settings.avatar !== undefined) put("avatar", avatarBlob);
          // Only what OneProfile writes is its to judge: a field another app set is the PDS's business.
          checkRecord(
            Object.fromEntries(
              Object.entries(record).filter(([property]) => property === "$type" || written.has(property)),
            ),
          );
          const input = {
            repo: did,
            collection: PROFILE_COLLECTION,
            rkey: PROFILE_RKEY,
            record,
            // Compare-and-swap: null when there was no record (it must still not exist).
            swapRecord: current.cid,
          };
          checkInput("com.atproto.repo.putRecord", input);
          try {
            const { data } = await agent.com.atproto.repo.putRecord(input, { signal });
            const marks: TApplyResult["marks"] = {};
            if (settings.displayName !== undefined) marks.displayName = data.cid;
            if (settings.signature !== undefined) marks.signature = data.cid;
            if (settings.avatar !== undefined) marks.avatar = data.cid;
            return { marks };
          } catch (error) {
            // Edited elsewhere between our read and our write: start again from that edit.
            if (error instanceof XRPCError && error.error === "InvalidSwap" && attempt < MAX_SWAP_ATTEMPTS) continue;
            if (error instanceof XRPCError && error.error === "InvalidSwap") {
              throw new ConnectorError("transient", "The Bluesky profile kept changing while it was being saved.");
            }
            throw error;
          }
        }
      });
    },

    downloadAvatar(url, signal) {
      return download(url, signal);
    },

    async close() {
      await http.close();
    },
  };
}
