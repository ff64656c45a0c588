/**
 * A client for one XMPP account: one session (./protocol.ts) opened on first use and kept, reopened
 * when it closed; a second, watching session for `watch`. Each field is a PEP node; a write
 * publishes the field's item under an id made of its write key (the avatar's id is its bytes'
 * SHA-1, as XEP-0084 says), and that id is the field's mark.
 */
import { createHash } from "node:crypto";
import sharp from "sharp";
import { publicAddressesOf } from "../public-address";
import {
  ConnectorError,
  type TAccountClient,
  type TAccountContext,
  type TApplyResult,
  type TCapabilities,
  type TVendorProfile,
} from "../types";
import { XMPP_DEFINITION } from "./definition";
import { NS } from "./pep";
import { connectXmpp, PEP_NODE, type TPepItem, type TXmppSession } from "./protocol";
import { itemIdOf, markOf, valueOfField, type TXmppEvent } from "./report";
import { namedTarget, type TSrvLookup, xmppTargets } from "./resolve";

export interface TXmppConfig {
  /** Test-only: servers on loopback may be reached (the tests' Prosody); never in production. */
  isLoopbackAllowed: boolean;
  /** Test-only: DNS answers (the tests' domains have no SRV records); default the system's DNS. */
  dns?: { srv?: TSrvLookup; addresses?: (host: string) => Promise<string[]> };
}

const AVATAR_URL_PREFIX = "xmpp-avatar:";
/** Connection attempts one open makes at most, over the domain's targets and their addresses. */
const MAX_CONNECT_ATTEMPTS = 4;
/** The watching session's resource: one per account, so the server keeps one set of subscriptions. */
const WATCH_RESOURCE = "oneprofile-watch";

/**
 * What an account can show, by what its server offers it (disco#info on the bare JID: the `pubsub/pep`
 * identity XEP-0163 requires, or the publish feature): every field lives on a PEP node, so with PEP
 * everything XMPP_DEFINITION says, without it nothing.
 */
export function capabilitiesOf(features: ReadonlySet<string>): TCapabilities {
  const hasPep = features.has("identity:pubsub/pep") || features.has(`${NS.pubsub}#publish`);
  return hasPep ? XMPP_DEFINITION.capabilities : {};
}

const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

export function createXmppClient(context: TAccountContext, config: TXmppConfig): TAccountClient {
  const { login: jid, secret: password } = context.credentials;
  const domain = jid.slice(jid.lastIndexOf("@") + 1);
  let session: TXmppSession | null = null;
  let opening: Promise<TXmppSession> | null = null;

  /**
   * A session on the first of the domain's servers that answers (its SRV targets in order, each
   * address in turn; or the one server the person named). Each name is resolved here and every address it has checked; the connection
   * goes to the checked address, so DNS cannot answer differently the second time (TLS still checks
   * the certificate against the domain: @xmpp/starttls names it).
   */
  async function open(resource?: string, signal?: AbortSignal): Promise<TXmppSession> {
    const checks = { isLoopbackAllowed: config.isLoopbackAllowed, resolve: config.dns?.addresses };
    let failure: unknown = null;
    // Bounded: each attempt may wait out its timeout, and a domain may list many dead targets.
    let attemptsLeft = MAX_CONNECT_ATTEMPTS;
    const { server } = context.credentials;
    const targets = server ? [namedTarget(server)] : await xmppTargets(domain, config.dns?.srv);
    for (const target of targets) {
      if (attemptsLeft <= 0) break;
      let addresses: string[];
      try {
        addresses = await publicAddressesOf(target.host, checks);
      } catch (error) {
        // A target that does not resolve (transient): the next one may. A private one: refused.
        if (error instanceof ConnectorError && error.kind === "transient") {
          failure = error;
          continue;
        }
        throw error;
      }
      for (const address of addresses) {
        if (attemptsLeft-- <= 0) break;
        try {
          return await connectXmpp({
            jid,
            password,
            host: address,
            port: target.port,
            ...(resource ? { resource } : {}),
            isInsecureLoopbackAllowed: config.isLoopbackAllowed,
            ...(signal ? { signal } : {}),
          });
        } catch (error) {
          // Unreachable (transient): try the next address. Refused credentials, no TLS: final.
          if (!(error instanceof ConnectorError && error.kind === "transient") || signal?.aborted) throw error;
          failure = error;
        }
      }
    }
    throw failure ?? new ConnectorError("transient", `No XMPP server for ${domain} answered.`);
  }

  /**
   * The kept session, opened (again) when there is none or it is not online. One that lost its
   * connection is replaced rather than waited for: its own reconnects go to the one address it was
   * opened on, while a new open finds the domain's servers again (another SRV target, a new address).
   */
  async function kept(signal?: AbortSignal): Promise<TXmppSession> {
    if (session?.state === "online") return session;
    if (session?.state === "reconnecting") {
      const lost = session;
      session = null;
      void lost.close().catch(() => {});
    }
    opening ??= open(undefined, signal).finally(() => (opening = null));
    session = await opening;
    return session;
  }

  async function avatarOf(current: TXmppSession, id: string): Promise<{ url: string; sha256: string } | null> {
    const bytes = await current.readAvatarData(id);
    // Metadata names an image whose data is not there (yet, or hosted elsewhere): not "no avatar".
    if (!bytes) throw new ConnectorError("transient", "The account's avatar could not be read.");
    return { url: `${AVATAR_URL_PREFIX}${id}`, sha256: sha256(bytes) };
  }

  async function read(current: TXmppSession): Promise<TVendorProfile> {
    // Without PEP the account's server keeps no profile that clients share: nothing can be read.
    const capabilities = capabilitiesOf(await current.accountFeatures());
    if (!capabilities.displayName) {
      return { displayName: null, signature: null, mood: null, moodText: null, avatar: null, mark: null, capabilities };
    }
    const profile = await current.readProfile();
    const displayName = profile.nickname?.payload?.nickname ?? "";
    const signature = profile.signature?.payload?.signature ?? "";
    const info = profile.avatar?.payload?.avatar ?? null;
    return {
      displayName,
      signature,
      mood: profile.mood?.payload?.mood ?? null,
      moodText: profile.mood?.payload?.text ?? "",
      avatar: info ? await avatarOf(current, info.id) : null,
      mark: null,
      capabilities,
      fieldMarks: {
        displayName: markOf("displayName", profile.nickname?.itemId ?? null, displayName),
        signature: markOf("signature", profile.signature?.itemId ?? null, signature),
        mood: markOf(
          "mood",
          profile.mood?.itemId ?? null,
          valueOfField("mood", {
            mood: profile.mood?.payload?.mood ?? null,
            moodText: profile.mood?.payload?.text ?? "",
          }),
        ),
        avatar: markOf("avatar", profile.avatar?.itemId ?? null, null),
      },
    };
  }

  /** A watched item as the event the monitor records. */
  async function eventOf(current: TXmppSession, item: TPepItem): Promise<TXmppEvent | null> {
    const base = { login: jid, itemId: item.itemId };
    switch (item.node) {
      case PEP_NODE.nickname:
        return { ...base, field: "displayName", values: { displayName: item.payload?.nickname ?? "" } };
      case PEP_NODE.vcard4:
        return { ...base, field: "signature", values: { signature: item.payload?.signature ?? "" } };
      case PEP_NODE.mood:
        return {
          ...base,
          field: "mood",
          values: { mood: item.payload?.mood ?? null, moodText: item.payload?.text ?? "" },
        };
      case PEP_NODE.avatar: {
        const info = item.payload?.avatar ?? null;
        return { ...base, field: "avatar", values: { avatar: info ? await avatarOf(current, info.id) : null } };
      }
      default:
        return null;
    }
  }

  return {
    async verify(signal) {
      const profile = await read(await kept(signal));
      if (!profile.capabilities?.displayName) {
        throw new ConnectorError(
          "permanent",
          "This XMPP server offers no PEP (XEP-0163), where XMPP clients keep a profile: OneProfile could change nothing there.",
        );
      }
      return profile;
    },

    async read() {
      return read(await kept());
    },

    async apply(settings, { idempotencyKeys, signal }) {
      const current = await kept(signal);
      const marks: TApplyResult["marks"] = {};
      const key = idempotencyKeys.profile;
      if (settings.displayName !== undefined) {
        const itemId = itemIdOf(key, "displayName");
        marks.displayName = await current.publishNickname(settings.displayName || null, { itemId });
      }
      if (settings.signature !== undefined) {
        const itemId = itemIdOf(key, "signature");
        const stored = await current.publishSignature(settings.signature || null, { itemId });
        marks.signature = markOf("signature", stored, settings.signature);
      }
      if (settings.mood !== undefined || settings.moodText !== undefined) {
        // One item holds both parts: the part not being changed is kept as it is there.
        const shown = settings.mood === undefined || settings.moodText === undefined ? await current.readMood() : null;
        const word = settings.mood !== undefined ? settings.mood : (shown?.payload?.mood ?? null);
        const text = settings.moodText !== undefined ? settings.moodText : (shown?.payload?.text ?? "");
        marks.mood = await current.publishMood(word ? { mood: word, text: text || null } : null, {
          itemId: itemIdOf(key, "mood"),
        });
      }
      if (settings.avatar !== undefined) {
        const image = settings.avatar;
        if (image) {
          const { width, height } = await sharp(image.bytes).metadata();
          marks.avatar = await current.publishAvatar({
            bytes: image.bytes,
            type: image.contentType,
            ...(width ? { width } : {}),
            ...(height ? { height } : {}),
          });
        } else {
          marks.avatar = await current.publishAvatar(null);
        }
      }
      return { marks };
    },

    async watch(onEvent, signal) {
      const watching = await open(WATCH_RESOURCE, signal);
      try {
        const ended = new Promise<void>((resolve) => {
          if (signal.aborted) resolve();
          signal.addEventListener("abort", () => resolve(), { once: true });
          // A lost connection ends the watch rather than waiting on its own reconnects, which go to the
          // one address it was opened on: the monitor opens a new one after a backoff, finding the
          // domain's servers again (another SRV target, a new address), and reads the account first.
          watching.onState((state) => {
            if (state === "closed" || state === "reconnecting") resolve();
          });
        });
        // Items are recorded in the order they came, one at a time. One that cannot be recorded ends
        // the watch (it starts again, with a read-back), rather than leaving the rest unrecorded.
        let failure: unknown = null;
        let queue = Promise.resolve();
        watching.onItem((item) => {
          queue = queue
            .then(async () => {
              if (failure !== null) return;
              const event = await eventOf(watching, item);
              if (!event) return;
              // Unique per account and per value shown: the same value delivered again (a reconnect
              // re-sends each node's item) is recorded once.
              const id = `${event.field}:${sha256(JSON.stringify([jid, event.itemId, event.values])).slice(0, 40)}`;
              await onEvent({ id, payload: event });
            })
            .catch((error: unknown) => {
              failure = error;
              void watching.close().catch(() => {});
            });
        });
        await watching.watch();
        await ended;
        await queue;
        if (failure !== null) throw failure;
      } finally {
        await watching.close().catch(() => {});
      }
    },

    async downloadAvatar(url) {
      if (!url.startsWith(AVATAR_URL_PREFIX)) {
        throw new ConnectorError("permanent", "The network reported an avatar OneProfile cannot fetch.");
      }
      const bytes = await (await kept()).readAvatarData(url.slice(AVATAR_URL_PREFIX.length));
      if (!bytes) throw new ConnectorError("permanent", "The reported avatar is no longer there.");
      return bytes;
    },

    async close() {
      const open = session;
      session = null;
      await open?.close();
    },
  };
}
