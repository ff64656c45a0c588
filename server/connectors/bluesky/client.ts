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
import { Agent, BlobRef, CredentialSession, lexicons, lexToJson, XRPCError, type AtpSessionData } from "@atproto/api";
import { z } from "zod";
import { createCheckedFetch, PrivateAddressError } from "../checked-fetch";
import { classifyNetworkFailure, parseRetryAfter, vendorDownload } from "../http";
import {
  ConnectorError,
  type TAccountClient,
  type TAccountContext,
  type TApplyResult,
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
const ZProfileRecord = z.looseObject({
  displayName: z.string().max(10_000).optional(),
  description: z.string().max(10_000).optional(),
  avatar: z.looseObject({ ref: z.object({ $link: z.string().max(200) }), mimeType: z.string().max(200) }).optional(),
});

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let cause = error; cause !== undefined && chain.length < 5; cause = (cause as { cause?: unknown }).cause) {
    chain.push(cause);
    if (typeof cause !== "object" || cause === null) break;
  }
  return chain;
}

const AUTH_ERRORS = new Set(["AuthenticationRequired", "ExpiredToken", "InvalidToken", "AccountTakedown"]);

/** The network's answer or failure as a ConnectorError (never the tokens or the password). */
export function toConnectorError(error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const refused = causes(error).find((cause) => cause instanceof PrivateAddressError);
  if (refused) return new ConnectorError("permanent", (refused as PrivateAddressError).message);
  if (error instanceof XRPCError) {
    const message = error.message && error.message !== error.error ? error.message : "";
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

/** The SHA-256 a blob's CID carries (the PDS hashes blobs so), or null for another hash. */
function sha256Of(blob: unknown): string | null {
  if (!(blob instanceof BlobRef)) return null;
  const { multihash } = blob.ref;
  return multihash.code === SHA2_256 ? Buffer.from(multihash.digest).toString("hex") : null;
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

/**
 * `http`: how requests go out — the checked fetch (connections to public addresses only); a test may
 * wrap it to act between two requests.
 */
/** A request as the lexicon describes it (the library checks only the answers). */
function checkInput(method: string, input: unknown): void {
  try {
    lexicons.assertValidXrpcInput(method, input);
  } catch (error) {
    throw new ConnectorError("permanent", `The ${method} request is not valid: ${String(error)}.`);
  }
}

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
  /** Credentials written back in the order the library refreshed them. */
  let saving: Promise<void> = Promise.resolve();
  const session = new CredentialSession(new URL(config.service), http.fetch, (event, data) => {
    if ((event !== "create" && event !== "update") || !data) return;
    const kept = { pds: session.pdsUrl?.href ?? null, data };
    credentials = { ...credentials, session: JSON.stringify(kept) };
    const next = credentials;
    saving = saving.then(() => context.saveCredentials(next));
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

  async function signIn(): Promise<void> {
    session.session = undefined;
    session.pdsUrl = undefined;
    await session.login({ identifier: credentials.login, password: credentials.secret });
  }

  /**
   * Runs `call` with a session, opening one when there is none, and once more after signing in again
   * when the kept one was refused (its refresh token too); failures come out as ConnectorErrors.
   */
  async function withSession<T>(call: (did: string) => Promise<T>): Promise<T> {
    try {
      if (!session.session) await signIn();
      try {
        return await call(session.session!.did);
      } catch (error) {
        if (toConnectorError(error).kind !== "auth") throw error;
        await signIn();
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
    const parsed = ZProfileRecord.safeParse(record.value ? lexToJson(record.value) : {});
    if (!parsed.success) {
      throw new ConnectorError("permanent", "Bluesky answered with a profile OneProfile cannot read.");
    }
    const { displayName, description, avatar } = parsed.data;
    let shown: TVendorProfile["avatar"] = null;
    if (avatar) {
      const url = blobUrl(did, avatar.ref.$link);
      // A blob's CID is the hash of its bytes: nothing to download unless it uses another hash.
      const sha256 =
        sha256Of(record.value?.avatar) ??
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
          const put = (property: string, value: unknown) => {
            if (value === "" || value === null) delete record[property];
            else record[property] = value;
          };
          if (settings.displayName !== undefined) put("displayName", settings.displayName);
          if (settings.signature !== undefined) put("description", settings.signature);
          if (settings.avatar !== undefined) put("avatar", avatarBlob);
          checkRecord(record);
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
