/**
 * The XMPP protocol layer of the XMPP connector, on @xmpp/client: log in; read and publish what an
 * account shows (PEP nickname, mood and avatar, the vCard4 note as its signature, vCard-temp for
 * older clients); and watch the account's own PEP nodes, so that a change made from another client
 * arrives with its item id, the vendor's mark. No database and no sync engine here: the connector
 * above maps values and decides what a mark means. NOTES.md beside this file says why each choice
 * was made and what Prosody showed.
 */
import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import { client, jid as parseJid, xml, type Client, type JID } from "@xmpp/client";
import type { Element } from "@xmpp/xml";
import { ConnectorError } from "../types";
import {
  avatarId,
  buildAvatarData,
  buildAvatarMetadata,
  buildMood,
  buildNickname,
  buildPublishOptions,
  NS,
  parseAvatarData,
  parsePepEvent,
  parsePepItem,
  parseVcardTemp,
  PEP_NODE,
  type TAvatarInfo,
  type TPepItem,
  type TPepNode,
  type TVcardTemp,
  withVcard4Note,
  withVcardTempPhoto,
} from "./pep";

export { PEP_NODE, type TAvatarInfo, type TPepItem, type TPepNode, type TVcardTemp } from "./pep";

const DEFAULT_PORT = 5222;
const DEFAULT_DIRECT_TLS_PORT = 5223;
const CONNECT_TIMEOUT_MS = 15_000;
const IQ_TIMEOUT_MS = 15_000;
/** @xmpp/client's wait for a stream to open or close (its default, 2 s, is short on a loaded host). */
const STREAM_TIMEOUT_MS = 10_000;

/**
 * The largest avatar we publish. Prosody refuses a stanza over 256 KiB (`c2s_stanza_size_limit`)
 * by closing the whole stream; the image travels base64 (4/3 larger) inside one stanza, so 128 KiB
 * keeps well clear of that default.
 */
export const MAX_AVATAR_BYTES = 128 * 1024;

/** The nodes a watch subscribes to. */
const WATCHED_NODES = [PEP_NODE.nickname, PEP_NODE.mood, PEP_NODE.avatar, PEP_NODE.vcard4] as const;

/**
 * Who may read each node, sent as publish-options. Nickname and mood go to contacts (the XEPs'
 * presence access); the avatar and the vCard stay public as vCard-temp always was, which is also
 * how Prosody's own vCard conversion creates those nodes (so the two never fight over the setting).
 */
const ACCESS_MODEL: Record<TPepNode | typeof PEP_NODE.avatarData, "presence" | "open"> = {
  [PEP_NODE.nickname]: "presence",
  [PEP_NODE.mood]: "presence",
  [PEP_NODE.avatar]: "open",
  [PEP_NODE.avatarData]: "open",
  [PEP_NODE.vcard4]: "open",
};

export interface TXmppConnectOptions {
  /** The account, `user@domain`. */
  jid: string;
  password: string;
  /** Where to connect (./resolve.ts finds it; ./client.ts checks it); default the JID's domain. */
  host?: string;
  /** Default 5222 (STARTTLS), or 5223 with `isDirectTls`. */
  port?: number;
  /** TLS from the first byte (XEP-0368 style) instead of STARTTLS. */
  isDirectTls?: boolean;
  /**
   * Default `oneprofile-<random>`. A watching session should pass a fixed one (e.g. "oneprofile"):
   * the server keeps a watch's subscriptions per full JID, so a fixed resource keeps one per
   * account. Two sessions with one resource evict each other: the older closes (see `onState`).
   */
  resource?: string;
  /**
   * Log in without TLS when `host` is a loopback address (the tests' Prosody has no certificate).
   * Otherwise a session without TLS is refused before any credential is sent.
   */
  isInsecureLoopbackAllowed?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** `closed`: by `close()`, or for good after the server refused the credentials on a reconnect. */
export type TXmppConnectionState = "online" | "reconnecting" | "closed";

export interface TAvatarUpload {
  bytes: Buffer;
  /** The image's content type, e.g. "image/png". */
  type: string;
  width?: number;
  height?: number;
}

export interface TPublishOptions {
  /** The item id to publish under (default a new UUID); reusing one makes a retried write the same item. */
  itemId?: string;
}

/**
 * Whether to also write the avatar into vCard-temp (XEP-0153) for clients that only read that:
 * "auto" does it unless the server converts between PEP and vCard-temp itself (Prosody does).
 */
export type TVcardAvatarMode = "auto" | "always" | "never";

export interface TXmppProfile {
  nickname: TPepItem<typeof PEP_NODE.nickname> | null;
  mood: TPepItem<typeof PEP_NODE.mood> | null;
  avatar: TPepItem<typeof PEP_NODE.avatar> | null;
  signature: TPepItem<typeof PEP_NODE.vcard4> | null;
}

/** An open, logged-in session. Every method throws ConnectorError (never a raw library error). */
export interface TXmppSession {
  /** The bound full JID, `user@domain/resource`. */
  readonly jid: string;
  readonly bareJid: string;
  readonly state: TXmppConnectionState;
  /** Every state change; the `error` says why a session closed for good. Returns an unsubscribe. */
  onState(listener: (state: TXmppConnectionState, error?: ConnectorError) => void): () => void;
  /**
   * Changes to the account's own profile nodes, once `watch()` has started. The watch first
   * delivers each node's current item (again after every reconnect), then each change as it comes.
   */
  onItem(listener: (item: TPepItem) => void): () => void;
  /**
   * Subscribes this session (its full JID) to the account's profile nodes, creating a node that
   * does not exist yet, and resolves once the server holds every subscription. No presence is
   * sent, so contacts never see this session online. Repeated by itself after every reconnect;
   * `close()` unsubscribes.
   */
  watch(): Promise<void>;

  readNickname(): Promise<TPepItem<typeof PEP_NODE.nickname> | null>;
  readMood(): Promise<TPepItem<typeof PEP_NODE.mood> | null>;
  readAvatar(): Promise<TPepItem<typeof PEP_NODE.avatar> | null>;
  /** The bytes stored under `id` in the avatar data node; null when there are none. */
  readAvatarData(id: string): Promise<Buffer | null>;
  readSignature(): Promise<TPepItem<typeof PEP_NODE.vcard4> | null>;
  readProfile(): Promise<TXmppProfile>;
  readVcardTemp(): Promise<TVcardTemp>;
  /**
   * The features the account advertises (disco#info on its bare JID), and its identities as
   * `identity:category/type`; fetched once per session.
   */
  accountFeatures(): Promise<ReadonlySet<string>>;

  /** Each publish resolves to the item id the server stored: the vendor mark. */
  publishNickname(nickname: string | null, options?: TPublishOptions): Promise<string>;
  /** `mood` is the XEP-0107 element name; null publishes the empty `<mood/>` ("no mood"). */
  publishMood(mood: { mood: string; text?: string | null } | null, options?: TPublishOptions): Promise<string>;
  /**
   * Data first, then metadata, both under the SHA-1 of the bytes; null publishes the empty
   * `<metadata/>` (avatar disabled) under a new id.
   */
  publishAvatar(avatar: TAvatarUpload | null, options?: { vcard?: TVcardAvatarMode }): Promise<string>;
  /** Replaces the vCard-temp PHOTO, keeping the rest of the vCard; resolves to the image's SHA-1 or null. */
  publishVcardPhoto(photo: { bytes: Buffer; type: string } | null): Promise<string | null>;
  /** The vCard4 note; null removes it. Other vCard4 properties are kept. */
  publishSignature(signature: string | null, options?: TPublishOptions): Promise<string>;

  close(): Promise<void>;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "";
}

function condition(error: unknown): string {
  return (error as { condition?: unknown } | null)?.condition?.toString() ?? "";
}

function isStanzaError(error: unknown, wanted: string): boolean {
  return errorName(error) === "StanzaError" && condition(error) === wanted;
}

function isPreconditionNotMet(error: unknown): boolean {
  const application = (error as { application?: Element } | null)?.application;
  return (
    errorName(error) === "StanzaError" &&
    condition(error) === "conflict" &&
    application?.name === "precondition-not-met"
  );
}

const SOCKET_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * A library or server error as a ConnectorError: refused credentials are `auth`, anything a retry
 * may cure (network, timeouts, a server shutting down or asking to wait) `transient`, a feature the
 * server lacks `unsupported`, the rest `permanent`.
 */
export function classifyXmppError(error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const name = errorName(error);
  const cause = condition(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (name === "SASLError") {
    if (["not-authorized", "account-disabled", "credentials-expired", "invalid-authzid"].includes(cause)) {
      return new ConnectorError("auth", `The XMPP server refused the login (${cause}).`);
    }
    if (cause === "temporary-auth-failure")
      return new ConnectorError("transient", "The XMPP server could not check the login now.");
    return new ConnectorError("permanent", `The XMPP login failed (${detail}).`);
  }
  if (name === "StreamError") {
    if (["host-unknown", "host-gone", "improper-addressing", "unsupported-version"].includes(cause)) {
      return new ConnectorError("permanent", `The XMPP server does not serve this account (${cause}).`);
    }
    return new ConnectorError("transient", `The XMPP server closed the connection (${cause}).`);
  }
  if (name === "StanzaError") {
    const type = (error as { type?: string }).type;
    if (cause === "feature-not-implemented" || cause === "service-unavailable") {
      return new ConnectorError("unsupported", `The XMPP server does not support this (${cause}).`);
    }
    if (cause === "resource-constraint" || cause === "policy-violation") {
      return new ConnectorError("rate_limited", `The XMPP server asked us to slow down (${cause}).`);
    }
    if (type === "wait" || cause === "internal-server-error" || cause === "remote-server-timeout") {
      return new ConnectorError("transient", `The XMPP server could not do it now (${cause}).`);
    }
    return new ConnectorError("permanent", `The XMPP server refused the request (${detail}).`);
  }
  if (name === "TimeoutError" || name === "AbortError") {
    return new ConnectorError("transient", "The XMPP server did not answer in time.");
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && SOCKET_ERROR_CODES.has(code)) {
    return new ConnectorError("transient", `The XMPP server could not be reached (${code}).`);
  }
  if (typeof code === "string" && /CERT|SSL|TLS/.test(code)) {
    return new ConnectorError("permanent", `The XMPP server's certificate was not accepted (${code}).`);
  }
  return new ConnectorError("transient", `The XMPP connection failed (${detail}).`);
}

/** Whether `host` names this machine (the only place a login without TLS may go). */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || (isIP(bare) === 4 && bare.startsWith("127."));
}

function serviceUrl(host: string, port: number, isDirectTls: boolean): string {
  const address = isIP(host) === 6 ? `[${host}]` : host;
  return `${isDirectTls ? "xmpps" : "xmpp"}://${address}:${port}`;
}

/** Rejects when `promise` takes longer than `ms` or `signal` aborts. */
function bounded<T>(promise: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DOMException("timed out", "TimeoutError")), ms);
    const onAbort = () => reject(new DOMException("aborted", "AbortError"));
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    });
  });
}

/**
 * Opens a session: TLS (unless allowed off on loopback), SASL (SCRAM-SHA-1 first; PLAIN only under
 * TLS), resource binding. Refused credentials throw ConnectorError("auth"); an unreachable or
 * silent server ConnectorError("transient"). The session reconnects by itself afterwards.
 */
export async function connectXmpp(options: TXmppConnectOptions): Promise<TXmppSession> {
  let address;
  try {
    address = parseJid(options.jid);
  } catch {
    throw new ConnectorError("permanent", "That is not an XMPP address (user@domain).");
  }
  if (!address.local || !address.domain) {
    throw new ConnectorError("permanent", "That is not an XMPP address (user@domain).");
  }
  const host = options.host ?? address.domain;
  const isDirectTls = options.isDirectTls ?? false;
  const port = options.port ?? (isDirectTls ? DEFAULT_DIRECT_TLS_PORT : DEFAULT_PORT);
  const isInsecureAllowed = (options.isInsecureLoopbackAllowed ?? false) && isLoopback(host);
  const username = address.local;

  const xmpp = client({
    service: serviceUrl(host, port, isDirectTls),
    domain: address.domain,
    resource: options.resource ?? `oneprofile-${randomUUID().slice(0, 8)}`,
    timeout: STREAM_TIMEOUT_MS,
    // Our own SASL step, so that nothing is sent before we know the stream is encrypted.
    credentials: async (authenticate, mechanisms, _fast, entity) => {
      const isSecure = entity.isSecure();
      if (!isSecure && !isInsecureAllowed) {
        throw new ConnectorError("permanent", "The XMPP server offered no TLS; the login was not sent.");
      }
      const mechanism = isSecure ? mechanisms[0] : mechanisms.find((name) => name !== "PLAIN");
      if (!mechanism) {
        throw new ConnectorError("permanent", "The XMPP server offers no login method that is safe here.");
      }
      await authenticate(
        { username, password: options.password },
        mechanism,
        xml("user-agent", {}, xml("software", {}, "OneProfile")),
      );
    },
  });
  // Only the address the caller checked is ever connected to (client.ts): a server's
  // `see-other-host` redirect names a host nobody checked, so it ends the attempt instead.
  xmpp._onSeeOtherHost = async (error) => {
    xmpp.emit("error", error);
  };
  // @xmpp/connection keeps an IPv6 literal's brackets (it strips them for [::1] only), and
  // net.connect cannot resolve "[2001:db8::1]": the bare address goes to the socket.
  const transportParameters = xmpp.socketParameters.bind(xmpp);
  xmpp.socketParameters = (service) => {
    const parameters = transportParameters(service);
    return parameters && { ...parameters, host: parameters.host.replace(/^\[(.*)\]$/, "$1") };
  };
  // @xmpp/connection's start() waits for "online" with a promise that also rejects on the entity's
  // next "error"; when opening the stream fails first, start() throws and leaves that promise
  // behind, and the next error (a refused connection while the server restarts) rejects it with
  // nobody listening — an unhandled rejection, which ended worker processes in the model test. The
  // same steps, with that promise handled:
  xmpp.start = async () => {
    if (xmpp.status !== "offline") throw new Error("Connection is not offline");
    const { service, domain, lang } = xmpp.options;
    await xmpp.connect(service);
    const online = new Promise<JID>((resolve, reject) => {
      const onOnline = (jid: JID) => (stopListening(), resolve(jid));
      const onError = (error: unknown) => (stopListening(), reject(error));
      const stopListening = () => {
        xmpp.removeListener("online", onOnline);
        xmpp.removeListener("error", onError);
      };
      xmpp.once("online", onOnline);
      xmpp.once("error", onError);
    });
    online.catch(() => {});
    await xmpp.open({ domain, lang });
    return online;
  };
  const session = new XmppSession(xmpp, `${username}@${address.domain}`);
  const starting = xmpp.start();
  // A start abandoned on timeout still settles later; that late rejection is not news.
  starting.catch(() => {});
  try {
    await bounded(starting, options.timeoutMs ?? CONNECT_TIMEOUT_MS, options.signal);
  } catch (error) {
    await session.destroy();
    throw classifyXmppError(error);
  }
  session.markOnline();
  return session;
}

class XmppSession implements TXmppSession {
  state: TXmppConnectionState = "online";
  private isStarted = false;
  private isClosing = false;
  private isWatching = false;
  private features: Promise<ReadonlySet<string>> | null = null;
  private readonly itemListeners = new Set<(item: TPepItem) => void>();
  private readonly stateListeners = new Set<(state: TXmppConnectionState, error?: ConnectorError) => void>();

  constructor(
    private readonly xmpp: Client,
    readonly bareJid: string,
  ) {
    // @xmpp/client emits "error" for every failure, including each failed reconnect; an emitter
    // without a listener would throw it.
    xmpp.on("error", (error: unknown) => this.onError(error));
    xmpp.on("disconnect", () => {
      if (this.isStarted && !this.isClosing) this.setState("reconnecting");
    });
    xmpp.on("online", () => void this.onOnline());
    xmpp.on("stanza", (stanza: Element) => this.onStanza(stanza));
  }

  get jid(): string {
    return this.xmpp.jid?.toString() ?? this.bareJid;
  }

  /** After the first login: from now on a disconnect means reconnecting. */
  markOnline(): void {
    this.isStarted = true;
    this.setState("online");
  }

  onState(listener: (state: TXmppConnectionState, error?: ConnectorError) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  onItem(listener: (item: TPepItem) => void): () => void {
    this.itemListeners.add(listener);
    return () => this.itemListeners.delete(listener);
  }

  private setState(state: TXmppConnectionState, error?: ConnectorError): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state, error);
  }

  private async onOnline(): Promise<void> {
    if (!this.isStarted) return; // the first login: connectXmpp reports it
    // The server may have restarted with other modules: its features are asked for again.
    this.features = null;
    try {
      if (this.isWatching) await this.subscribeAll();
      this.setState("online");
    } catch {
      // Dropped again while subscribing: the next reconnect tries again.
    }
  }

  private onError(error: unknown): void {
    if (!this.isStarted || this.isClosing) return;
    const failure = classifyXmppError(error);
    if (errorName(error) === "StreamError" && condition(error) === "conflict") {
      // Another session bound our resource and the server closed this one: reconnecting would
      // evict that one in turn, for ever. The newer session wins.
      const replaced = new ConnectorError("transient", "Another session with the same resource replaced this one.");
      void this.destroy().then(() => this.setState("closed", replaced));
      return;
    }
    if (failure.kind === "auth" || failure.kind === "permanent") {
      // Reconnecting cannot cure refused credentials or a refused server: stop, and say why.
      void this.destroy().then(() => this.setState("closed", failure));
      return;
    }
    // A reconnect whose stream never opened leaves @xmpp/reconnect waiting for a disconnect that
    // will not come; end the socket so that it schedules the next attempt.
    if (errorName(error) === "TimeoutError" && this.state === "reconnecting") {
      this.xmpp.disconnect().catch(() => {});
    }
  }

  private onStanza(stanza: Element): void {
    if (!stanza.is("message")) return;
    // Only our own account's nodes: contacts' PEP events (if any arrive) are not ours to report.
    if (stanza.attrs.from !== this.bareJid) return;
    for (const item of parsePepEvent(stanza)) {
      for (const listener of this.itemListeners) listener(item);
    }
  }

  async watch(): Promise<void> {
    this.isWatching = true;
    await this.guard(() => this.subscribeAll());
  }

  /**
   * Explicit XEP-0060 subscriptions of our full JID to our own nodes. (The XEP-0163 way, presence
   * with `+notify` caps, also works on Prosody, but Prosody takes presence to one's own bare JID
   * as the broadcast presence, so contacts would see this session online: NOTES.md.) Prosody
   * answers, then sends the node's last item to the new subscriber.
   */
  private async subscribeAll(): Promise<void> {
    await Promise.all(WATCHED_NODES.map((node) => this.subscribe(node)));
  }

  private async subscribe(node: TPepNode): Promise<void> {
    const subscribe = () =>
      this.request("set", xml("pubsub", { xmlns: NS.pubsub }, xml("subscribe", { node, jid: this.jid })));
    try {
      await subscribe();
    } catch (error) {
      // PEP nodes come into being on first publish, and Prosody will not subscribe to a missing one.
      if (!isStanzaError(error, "item-not-found")) throw error;
      await this.createNode(node);
      await subscribe();
    }
  }

  private async createNode(node: TPepNode): Promise<void> {
    const configure = xml(
      "configure",
      {},
      xml(
        "x",
        { xmlns: NS.dataForms, type: "submit" },
        xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, NS.nodeConfig)),
        xml("field", { var: "pubsub#access_model" }, xml("value", {}, ACCESS_MODEL[node])),
      ),
    );
    try {
      await this.request("set", xml("pubsub", { xmlns: NS.pubsub }, xml("create", { node }), configure));
    } catch (error) {
      // Created meanwhile by another client: just as good.
      if (!isStanzaError(error, "conflict")) throw error;
    }
  }

  private async unsubscribeAll(): Promise<void> {
    await Promise.allSettled(
      WATCHED_NODES.map((node) =>
        this.request("set", xml("pubsub", { xmlns: NS.pubsub }, xml("unsubscribe", { node, jid: this.jid }))),
      ),
    );
  }

  /** One IQ to our own account (no `to`) or `to`; raw library errors (callers classify them). */
  private async request(type: "get" | "set", child: Element, to?: string): Promise<Element> {
    if (this.state === "closed") throw new ConnectorError("transient", "The XMPP session is closed.");
    if (this.xmpp.status !== "online") throw new ConnectorError("transient", "The XMPP session is reconnecting.");
    // @xmpp/client keeps waiting for the answer after the connection dropped (until its timeout);
    // a dropped connection will not bring one.
    let onDrop = () => {};
    const dropped = new Promise<never>((_, reject) => {
      onDrop = () => reject(new ConnectorError("transient", "The XMPP connection dropped before the server answered."));
      this.xmpp.once("disconnect", onDrop);
    });
    try {
      return await Promise.race([this.xmpp.iqCaller.request(xml("iq", { type, to }, child), IQ_TIMEOUT_MS), dropped]);
    } finally {
      this.xmpp.removeListener("disconnect", onDrop);
    }
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw classifyXmppError(error);
    }
  }

  /** The items of one of our nodes (the last one, or those named); null when the node does not exist. */
  private async readItems(node: string, itemIds?: readonly string[]): Promise<Element[] | null> {
    const items = xml(
      "items",
      itemIds ? { node } : { node, max_items: "1" },
      ...(itemIds ?? []).map((id) => xml("item", { id })),
    );
    try {
      const result = await this.request("get", xml("pubsub", { xmlns: NS.pubsub }, items));
      return result.getChild("pubsub", NS.pubsub)?.getChild("items")?.getChildren("item") ?? [];
    } catch (error) {
      if (isStanzaError(error, "item-not-found")) return null;
      throw error;
    }
  }

  private async readItem<TNode extends TPepNode>(node: TNode): Promise<TPepItem<TNode> | null> {
    return this.guard(async () => {
      const items = await this.readItems(node);
      const item = items?.at(-1);
      return item ? (parsePepItem(node, item) as TPepItem<TNode>) : null;
    });
  }

  readNickname() {
    return this.readItem(PEP_NODE.nickname);
  }

  readMood() {
    return this.readItem(PEP_NODE.mood);
  }

  readAvatar() {
    return this.readItem(PEP_NODE.avatar);
  }

  readSignature() {
    return this.readItem(PEP_NODE.vcard4);
  }

  async readAvatarData(id: string): Promise<Buffer | null> {
    return this.guard(async () => {
      const items = await this.readItems(PEP_NODE.avatarData, [id]);
      const item = items?.find((candidate) => candidate.attrs.id === id);
      return item ? parseAvatarData(item.getChildElements()[0]) : null;
    });
  }

  async readProfile(): Promise<TXmppProfile> {
    const [nickname, mood, avatar, signature] = await Promise.all([
      this.readNickname(),
      this.readMood(),
      this.readAvatar(),
      this.readSignature(),
    ]);
    return { nickname, mood, avatar, signature };
  }

  private async getVcardTemp(): Promise<Element | undefined> {
    try {
      const result = await this.request("get", xml("vCard", { xmlns: NS.vcardTemp }));
      return result.getChild("vCard", NS.vcardTemp);
    } catch (error) {
      // XEP-0054: an account without a vCard may answer either of these.
      if (isStanzaError(error, "item-not-found") || isStanzaError(error, "service-unavailable")) return undefined;
      throw error;
    }
  }

  async readVcardTemp(): Promise<TVcardTemp> {
    return this.guard(async () => parseVcardTemp(await this.getVcardTemp()));
  }

  accountFeatures(): Promise<ReadonlySet<string>> {
    this.features ??= this.guard(async () => {
      const result = await this.request("get", xml("query", { xmlns: NS.discoInfo }), this.bareJid);
      const query = result.getChild("query", NS.discoInfo);
      return new Set([
        ...(query?.getChildren("feature") ?? []).map((feature) => String(feature.attrs.var)),
        // Identities as `identity:category/type` (XEP-0163: a PEP service is `pubsub/pep`).
        ...(query?.getChildren("identity") ?? []).map(
          (identity) => `identity:${String(identity.attrs.category)}/${String(identity.attrs.type)}`,
        ),
      ]);
    });
    this.features.catch(() => (this.features = null));
    return this.features;
  }

  /**
   * Publishes one item with our publish-options. A node that exists with another configuration
   * (the person chose who sees it, in another client) answers precondition-not-met: then the item
   * goes without options, under the node's own settings.
   */
  private async publish(node: string, itemId: string, payload: Element): Promise<string> {
    const access = ACCESS_MODEL[node as keyof typeof ACCESS_MODEL];
    const stanza = (withOptions: boolean) =>
      xml(
        "pubsub",
        { xmlns: NS.pubsub },
        xml("publish", { node }, xml("item", { id: itemId }, payload)),
        ...(withOptions && access ? [buildPublishOptions({ "pubsub#access_model": access })] : []),
      );
    let result: Element;
    try {
      result = await this.request("set", stanza(true));
    } catch (error) {
      if (!isPreconditionNotMet(error)) throw error;
      result = await this.request("set", stanza(false));
    }
    const stored = result.getChild("pubsub", NS.pubsub)?.getChild("publish")?.getChild("item")?.attrs.id;
    // XEP-0060: a result may omit the item when the publisher named it; then it is ours.
    return typeof stored === "string" && stored !== "" ? stored : itemId;
  }

  async publishNickname(nickname: string | null, options: TPublishOptions = {}): Promise<string> {
    return this.guard(() => this.publish(PEP_NODE.nickname, options.itemId ?? randomUUID(), buildNickname(nickname)));
  }

  async publishMood(
    mood: { mood: string; text?: string | null } | null,
    options: TPublishOptions = {},
  ): Promise<string> {
    if (mood && !/^[a-z_]+$/.test(mood.mood)) {
      throw new ConnectorError("permanent", `"${mood.mood}" is not an XEP-0107 mood name.`);
    }
    return this.guard(() =>
      this.publish(PEP_NODE.mood, options.itemId ?? randomUUID(), buildMood(mood?.mood ?? null, mood?.text ?? null)),
    );
  }

  async publishAvatar(avatar: TAvatarUpload | null, options: { vcard?: TVcardAvatarMode } = {}): Promise<string> {
    if (avatar && avatar.bytes.length > MAX_AVATAR_BYTES) {
      throw new ConnectorError("permanent", `The avatar is larger than ${MAX_AVATAR_BYTES} bytes.`);
    }
    return this.guard(async () => {
      let itemId: string;
      if (avatar) {
        const id = avatarId(avatar.bytes);
        const info: TAvatarInfo = { id, type: avatar.type, bytes: avatar.bytes.length };
        if (avatar.width !== undefined) info.width = avatar.width;
        if (avatar.height !== undefined) info.height = avatar.height;
        // XEP-0084: the data must be there before the metadata that points at it.
        await this.publish(PEP_NODE.avatarData, id, buildAvatarData(avatar.bytes));
        itemId = await this.publish(PEP_NODE.avatar, id, buildAvatarMetadata(info));
      } else {
        itemId = await this.publish(PEP_NODE.avatar, randomUUID(), buildAvatarMetadata(null));
      }
      const mode = options.vcard ?? "auto";
      const isVcardWanted =
        mode === "always" || (mode === "auto" && !(await this.accountFeatures()).has(NS.pepVcardConversion));
      if (isVcardWanted) await this.writeVcardPhoto(avatar);
      return itemId;
    });
  }

  private async writeVcardPhoto(photo: { bytes: Buffer; type: string } | null): Promise<string | null> {
    const vcard = withVcardTempPhoto(await this.getVcardTemp(), photo);
    await this.request("set", vcard);
    return photo ? avatarId(photo.bytes) : null;
  }

  async publishVcardPhoto(photo: { bytes: Buffer; type: string } | null): Promise<string | null> {
    if (photo && photo.bytes.length > MAX_AVATAR_BYTES) {
      throw new ConnectorError("permanent", `The avatar is larger than ${MAX_AVATAR_BYTES} bytes.`);
    }
    return this.guard(() => this.writeVcardPhoto(photo));
  }

  async publishSignature(signature: string | null, options: TPublishOptions = {}): Promise<string> {
    return this.guard(async () => {
      const current = (await this.readItems(PEP_NODE.vcard4))?.at(-1)?.getChildElements()[0];
      const hasNickname = Boolean(current?.getChild("nickname"));
      const nickname = hasNickname ? null : ((await this.readNickname())?.payload?.nickname ?? null);
      return this.publish(
        PEP_NODE.vcard4,
        options.itemId ?? randomUUID(),
        withVcard4Note(current, signature, nickname),
      );
    });
  }

  /** Stops reconnecting and closes the stream, without reporting a state. */
  async destroy(): Promise<void> {
    this.isClosing = true;
    this.xmpp.reconnect.stop();
    try {
      await this.xmpp.stop();
    } catch {
      // Already down: nothing to close.
    }
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    // Prosody keeps subscriptions across sessions; ours should not outlive the watch.
    if (this.isWatching && this.state === "online") await this.unsubscribeAll();
    await this.destroy();
    this.setState("closed");
  }
}
