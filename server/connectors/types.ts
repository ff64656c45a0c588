/**
 * The one connector interface (two levels, as in mautrix bridgev2): a network definition —
 * id, capabilities, how to log in — and a client that verifies, reads and applies a profile.
 * Vendor errors never leave a connector raw: they become a ConnectorError with a kind.
 */
import type { z } from "zod";
import type { TMappedDraft, TProfileField, TVendorMark } from "../sync/state";

export { PROFILE_FIELDS, type TProfileField } from "../sync/state";

export interface TCapabilities {
  /** Text limits in grapheme clusters; a missing field is not supported by the network. */
  displayName?: { maxGraphemes: number };
  signature?: { maxGraphemes: number };
  mood?: {
    /** The network's own mood words. */
    vocabulary: readonly string[];
    /** OneProfile mood id (server/sync/moods.ts) → the network's word. */
    map: Readonly<Record<string, string>>;
    /** The word sent for a mood the network has no equivalent for; null: not sent. */
    fallback: string | null;
    /** Mood text length; 0 when the network shows none. */
    maxTextGraphemes: number;
  };
  avatar?: {
    formats: readonly ("png" | "jpeg" | "gif" | "webp")[];
    maxBytes: number;
    minPx: number;
    maxPx: number;
    isSquare: boolean;
  };
}

export interface TLoginForm {
  /** The network's own name for the login ("QQ number", "MSN email"). */
  loginLabel: string;
  loginPlaceholder: string;
  loginHint: string;
  secretLabel: string;
}

export interface TNetworkDefinition {
  id: string;
  displayName: string;
  /** "sandbox": a working connector; "planned": listed as coming soon, not linkable. */
  kind: "sandbox" | "planned";
  color: string;
  capabilities: TCapabilities;
  loginForm: TLoginForm;
  /** Validates and normalises the login as the network writes it. */
  loginSchema: z.ZodType<string, string>;
  /**
   * How often the worker reads an account back to correct what no report told (server/sync/state.ts):
   * long for a network that pushes every change, short for one that can only be polled.
   */
  readBackEveryMs: number;
}

export interface TCredentials {
  login: string;
  secret: string;
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

export interface TConnector {
  definition: TNetworkDefinition;
  /** Checks the credentials with the vendor; returns what the vendor shows for the account. */
  verify(credentials: TCredentials): Promise<TVendorProfile>;
  read(credentials: TCredentials): Promise<TVendorProfile>;
  apply(credentials: TCredentials, settings: TMappedSettings, options: TApplyOptions): Promise<TApplyResult>;
  /** Parses a recorded event's payload; throws ConnectorError("permanent") when it is not valid. */
  parseReport(payload: unknown): TNetworkReport;
  /** Downloads an avatar the network reported (only from the vendor's own host, capped). */
  downloadAvatar(url: string, signal?: AbortSignal): Promise<Buffer>;
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
