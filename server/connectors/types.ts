/**
 * The one connector interface (two levels, as in mautrix bridgev2): a network definition —
 * id, capabilities, how to log in — and a client that verifies, reads and applies a profile.
 * Vendor errors never leave a connector raw: they become a ConnectorError with a kind.
 */
import { z } from "zod";
import type { TMappedDraft, TProfileField, TVendorMark } from "../sync/state";

export { PROFILE_FIELDS, type TProfileField } from "../sync/state";

const ZTextLimit = z.object({ maxGraphemes: z.number().int().positive() });

/**
 * What a network can show, as one schema: the definitions are checked against it, and the
 * `networks.capabilities` column and a linked account's own capabilities are read through it. A
 * missing field is one the network does not have.
 */
export const ZCapabilities = z.object({
  /** Text limits in grapheme clusters. */
  displayName: ZTextLimit.optional(),
  signature: ZTextLimit.optional(),
  mood: z
    .object({
      /** The network's own mood words. */
      vocabulary: z.array(z.string().min(1)).readonly(),
      /** OneProfile mood id (server/sync/moods.ts) → the network's word. */
      map: z.record(z.string(), z.string()).readonly(),
      /** The word sent for a mood the network has no equivalent for; null: not sent. */
      fallback: z.string().nullable(),
      /** Mood text length; 0 when the network shows none. */
      maxTextGraphemes: z.number().int().nonnegative(),
      /** The text is shown only beside a mood word (XEP-0107): with no mood, no text is sent. */
      isTextWithMoodOnly: z.boolean().optional(),
    })
    .optional(),
  avatar: z
    .object({
      formats: z
        .array(z.enum(["png", "jpeg", "gif", "webp"]))
        .min(1)
        .readonly(),
      maxBytes: z.number().int().positive(),
      minPx: z.number().int().positive(),
      maxPx: z.number().int().positive(),
      isSquare: z.boolean(),
    })
    .optional(),
});
export type TCapabilities = z.infer<typeof ZCapabilities>;

export interface TLoginForm {
  /** The network's own name for the login ("QQ number", "MSN email"). */
  loginLabel: string;
  loginPlaceholder: string;
  loginHint: string;
  secretLabel: string;
  /**
   * Where the account lives, when not where its login says: an XMPP server for a domain without
   * SRV records. Only for a network whose login the server cannot fake (XMPP's TLS certificate must
   * name the JID's domain). Optional in the form (advanced); absent: no such field.
   */
  server?: { label: string; placeholder: string; hint: string };
}

/**
 * How a person links an account. Today every network signs in with a login and a secret (a
 * password, an app password); OAuth and pasted tokens will be further kinds.
 */
export interface TPasswordLogin extends TLoginForm {
  kind: "password";
  /** Validates and normalises the login as the network writes it. */
  loginSchema: z.ZodType<string, string>;
  /** Validates and normalises the server, for a form that has one (`server`). */
  serverSchema?: z.ZodType<string, string>;
}
export type TLoginFlow = TPasswordLogin;

export interface TNetworkDefinition {
  id: string;
  displayName: string;
  color: string;
  capabilities: TCapabilities;
  /** The ways to link an account; the first is offered first. */
  loginFlows: readonly [TLoginFlow, ...TLoginFlow[]];
  /**
   * How often the worker reads an account back to correct what no report told (server/sync/state.ts):
   * long for a network that pushes every change, short for one that can only be polled.
   */
  readBackEveryMs: number;
}

/**
 * What OneProfile keeps, encrypted, to act for a linked account: the login, the secret and the
 * server the person gave, and the session a client opened with them (tokens it may refresh), as its connector
 * writes it. Only the connector reads `session`.
 */
export interface TCredentials {
  login: string;
  secret: string;
  /** The server the person named in the login form (TLoginForm.server), normalised by its schema. */
  server?: string;
  session?: string;
}

/** The settings as the vendor shows them. */
export interface TVendorProfile {
  displayName: string | null;
  signature: string | null;
  mood: string | null;
  moodText: string | null;
  /** The image it shows: where to fetch it, and the sha256 of its bytes. */
  avatar: { url: string; sha256: string } | null;
  /** The vendor's mark (version) of what it shows. */
  mark: TVendorMark;
  /** Where each field has a mark of its own (XMPP: each is a PEP item with its id), those marks. */
  fieldMarks?: Partial<Record<TProfileField, TVendorMark>>;
  /**
   * What this account can show, where its server told (an XMPP server without PEP, one with a smaller
   * stanza limit): never more than the network's definition. Absent: the definition's.
   */
  capabilities?: TCapabilities;
}

/** Settings already mapped to this network: only the fields to change, the avatar as bytes. */
export type TMappedSettings = Omit<TMappedDraft, "avatarSha256"> & {
  avatar?: { bytes: Buffer; contentType: string } | null;
};

/**
 * Per field, the vendor's mark (version) our write produced there; `isReplay` when the vendor
 * answered from its idempotency store (the write was applied before: the mark is that time's).
 */
export type TApplyResult = { marks: Partial<Record<TProfileField, TVendorMark>>; isReplay?: boolean };

/**
 * A change the network reported (webhook, push or poll), parsed and checked by its connector:
 * the fields it changed, their values in the network's own words, the vendor's mark, and the
 * idempotency key of the write that caused it when the vendor tells (our own writes).
 */
export interface TNetworkReport {
  login: string;
  fields: TProfileField[];
  values: {
    displayName?: string;
    signature?: string;
    mood?: string | null;
    moodText?: string;
    avatar?: { url: string; sha256: string } | null;
  };
  mark: TVendorMark;
  /** Where each field has a mark of its own, those marks (`mark` for the others). */
  fieldMarks?: Partial<Record<TProfileField, TVendorMark>>;
  writeKey: string | null;
  /**
   * The vendor names the idempotency key behind every change its API made, so a report without one
   * is a change made there (never our echo, whatever its value).
   */
  isWriterKnown: boolean;
}

export interface TApplyOptions {
  /** One idempotency key per request part (a retry of the same write reuses them). */
  idempotencyKeys: { profile: string; avatar: string };
  signal?: AbortSignal;
}

/** What a client is given for its account: the credentials, and one way to write refreshed ones back. */
export interface TAccountContext {
  credentials: TCredentials;
  /**
   * Stores credentials the client refreshed (a new session token), encrypted, in place of the
   * old ones. A client that lost its session for good throws ConnectorError("auth") instead.
   */
  saveCredentials(next: TCredentials): Promise<void>;
}

/** One change the network pushed to a watching client, recorded as webhook events are. */
export interface TWatchedEvent {
  /** The vendor's id of the event (unique per network): a repeat is recorded once. */
  id: string;
  /** What `parseReport` reads. */
  payload: object;
}

/**
 * A client for one linked account (mautrix bridgev2's NetworkAPI). It may hold a connection or a
 * session; the worker keeps it while it is used (./clients.ts) and closes it when the account is
 * unlinked, its credentials change or the bound is reached.
 */
export interface TAccountClient {
  /** Checks the credentials with the vendor; returns what the vendor shows for the account. */
  verify(signal?: AbortSignal): Promise<TVendorProfile>;
  read(signal?: AbortSignal): Promise<TVendorProfile>;
  apply(settings: TMappedSettings, options: TApplyOptions): Promise<TApplyResult>;
  /**
   * Networks that push over a connection: delivers every change the account's network pushes until
   * `signal` aborts; resolves when the connection ends (the caller reconnects, and reads first).
   */
  watch?(onEvent: (event: TWatchedEvent) => Promise<void>, signal: AbortSignal): Promise<void>;
  /** Downloads an avatar the network reported (only from the vendor's own store, capped). */
  downloadAvatar(url: string, signal?: AbortSignal): Promise<Buffer>;
  close(): Promise<void>;
}

/** A webhook request as the route received it. */
export interface TWebhookRequest {
  headers: Headers;
  body: string;
  now: Date;
}

/** A webhook the connector checked: the event's id, the login it names and its payload; or why not. */
export type TWebhookVerdict =
  | { isValid: true; id: string; login: string; payload: object }
  | { isValid: false; status: 400 | 401; message: string };

/**
 * How a network tells of changes made inside it: webhooks to /api/webhooks/<network> (verified and
 * opened by the connector), a watch over each account's own connection, or nothing (polled through
 * `read()` every `readBackEveryMs`).
 */
export type TChangeFeed =
  | { kind: "webhook"; maxBytes: number; open(request: TWebhookRequest): TWebhookVerdict }
  | { kind: "watch" }
  | { kind: "poll" };

/**
 * Everything OneProfile knows about one network (mautrix bridgev2's NetworkConnector): its
 * definition, its clients, its change feed and how to read what the feed records.
 */
export interface TConnector {
  definition: TNetworkDefinition;
  /** Checks and completes what is stored for an account (a login form's answer, a refreshed session). */
  credentialsSchema: z.ZodType<TCredentials>;
  /** A client for one account; nothing is sent until it is used. */
  client(context: TAccountContext): TAccountClient;
  feed: TChangeFeed;
  /** Parses a recorded event's payload; throws ConnectorError("permanent") when it is not valid. */
  parseReport(payload: unknown): TNetworkReport;
}

/**
 * `refused`: the vendor refused a value for good (a word filter, a content rule) and named the
 * fields; the other fields can still go.
 */
export type TConnectorErrorKind = "transient" | "rate_limited" | "auth" | "permanent" | "unsupported" | "refused";

export class ConnectorError extends Error {
  constructor(
    readonly kind: TConnectorErrorKind,
    message: string,
    /** For rate_limited: how long the vendor asked us to wait. */
    readonly retryAfterMs?: number,
    /** For refused: the fields whose values the vendor refused. */
    readonly fields: readonly TProfileField[] = [],
  ) {
    super(message);
    this.name = "ConnectorError";
  }

  /** The vendor's own error code and the field it named, when its answer said (for its connector). */
  vendorCode?: string;
  vendorField?: string;

  get isRetriable(): boolean {
    return this.kind === "transient" || this.kind === "rate_limited";
  }
}
