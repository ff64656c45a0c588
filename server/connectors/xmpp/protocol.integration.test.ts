/**
 * The XMPP protocol layer against a real Prosody 0.12 on loopback (test/prosody.ts): login,
 * each profile field published from one connection and read from another, the watch of the
 * account's own PEP nodes, and the watch surviving a server restart. No sleeps: every wait is
 * for an event or a condition, with a timeout.
 */
import { client, xml, type Client } from "@xmpp/client";
import type { Element } from "@xmpp/xml";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { setupTestProsody, startTestProsody, type TTestProsody } from "../../../test/prosody";
import { freePort } from "../../database/embedded";
import { ConnectorError } from "../types";
import { connectXmpp, PEP_NODE, type TPepItem, type TXmppConnectionState, type TXmppSession } from "./protocol";
import { avatarId } from "./pep";

// Each test opens several sessions (a SCRAM login each) against a server on the same two cores as
// everything else in the run: seconds per test when the machine is busy.
vi.setConfig({ testTimeout: 60_000 });

const PASSWORD = "correct horse battery";
const WAIT_MS = 15_000;

// On a fresh machine (as root on Debian) this first installs Debian's prosody package.
const prosody = await setupTestProsody();
const opened: { close(): Promise<unknown> }[] = [];
let accounts = 0;

afterEach(async () => {
  await Promise.all(opened.splice(0).map((session) => session.close().catch(() => {})));
});

/** A fresh account per test, so tests never see each other's items. */
async function newAccount(): Promise<string> {
  accounts += 1;
  const user = `user${accounts}`;
  await prosody.createAccount(user, PASSWORD);
  return user;
}

async function connect(
  user: string,
  options: { password?: string; isInsecureLoopbackAllowed?: boolean; resource?: string } = {},
) {
  const session = await connectXmpp({
    jid: `${user}@${prosody.domain}`,
    password: options.password ?? PASSWORD,
    host: "127.0.0.1",
    port: prosody.port,
    isInsecureLoopbackAllowed: options.isInsecureLoopbackAllowed ?? true,
    resource: options.resource,
  });
  opened.push(session);
  return session;
}

async function connectError(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => new Error("connected"),
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

/** Resolves with the first value `subscribe` delivers that `isWanted` accepts; rejects after `ms`. */
function waitFor<T>(
  subscribe: (listener: (value: T) => void) => () => void,
  isWanted: (value: T) => boolean,
  what: string,
  ms = WAIT_MS,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out waiting for ${what}\n${prosody.log().slice(-3000)}`));
    }, ms);
    const unsubscribe = subscribe((value) => {
      if (!isWanted(value)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    });
  });
}

function nextItem(session: TXmppSession, isWanted: (item: TPepItem) => boolean, what: string) {
  return waitFor((listener) => session.onItem(listener), isWanted, what);
}

function nextState(session: TXmppSession, state: TXmppConnectionState) {
  return waitFor<[TXmppConnectionState, ConnectorError | undefined]>(
    (listener) => session.onState((next, error) => listener([next, error])),
    ([next]) => next === state,
    `state ${state}`,
    30_000,
  );
}

async function png(red: number, green: number, blue: number, size = 16): Promise<Buffer> {
  return sharp({ create: { width: size, height: size, channels: 3, background: { r: red, g: green, b: blue } } })
    .png()
    .toBuffer();
}

/** Another XMPP client of the account, straight on @xmpp/client (what a person's phone would be). */
async function rawClient(user: string, resource: string): Promise<Client> {
  const raw = client({
    service: `xmpp://127.0.0.1:${prosody.port}`,
    domain: prosody.domain,
    username: user,
    password: PASSWORD,
    resource,
  });
  raw.on("error", () => {});
  raw.reconnect.stop();
  await raw.start();
  opened.push({ close: () => raw.stop() });
  return raw;
}

function nextStanza(raw: Client, isWanted: (stanza: Element) => boolean, what: string): Promise<Element> {
  return waitFor<Element>(
    (listener) => {
      raw.on("stanza", listener);
      return () => raw.removeListener("stanza", listener);
    },
    isWanted,
    what,
  );
}

describe("connectXmpp", () => {
  it("logs in with the right password (SCRAM over loopback plaintext) and binds a resource", async () => {
    const user = await newAccount();
    const session = await connect(user);
    expect(session.state).toBe("online");
    expect(session.bareJid).toBe(`${user}@${prosody.domain}`);
    expect(session.jid).toMatch(new RegExp(`^${user}@oneprofile\\.test/oneprofile-[0-9a-f]{8}$`));
  });

  it("tells a wrong password (auth) from an unreachable server (transient)", async () => {
    const user = await newAccount();
    const wrong = await connectError(connect(user, { password: "not it" }));
    expect(wrong.kind).toBe("auth");

    const nobody = await freePort();
    const unreachable = await connectError(
      connectXmpp({
        jid: `${user}@${prosody.domain}`,
        password: PASSWORD,
        host: "127.0.0.1",
        port: nobody,
        isInsecureLoopbackAllowed: true,
      }),
    );
    expect(unreachable.kind).toBe("transient");
  });

  it("refuses to log in without TLS unless that is allowed for loopback", async () => {
    const user = await newAccount();
    const refused = await connectError(connect(user, { isInsecureLoopbackAllowed: false }));
    expect(refused.kind).toBe("permanent");
    expect(refused.message).toMatch(/no TLS/);
  });
});

describe("connectXmpp against a server with TLS", () => {
  let tlsProsody: TTestProsody;
  beforeAll(async () => {
    tlsProsody = await startTestProsody({ isTls: true });
    await tlsProsody.createAccount("tls", PASSWORD);
  });
  afterAll(() => tlsProsody.cleanup());

  it("by default takes STARTTLS and refuses a certificate it cannot verify", async () => {
    const error = await connectError(
      connectXmpp({ jid: `tls@${tlsProsody.domain}`, password: PASSWORD, host: "127.0.0.1", port: tlsProsody.port }),
    );
    expect(error.kind).toBe("permanent");
    expect(error.message).toMatch(/certificate was not accepted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    // The stream went no further than the TLS handshake: no session was authenticated.
    expect(tlsProsody.log()).toMatch(/Client connected/);
    expect(tlsProsody.log()).not.toMatch(/Authenticated as/);
  });
});

describe("profile fields, published on one connection and read on another", () => {
  it("nickname", async () => {
    const user = await newAccount();
    const [writer, reader] = await Promise.all([connect(user), connect(user)]);
    expect(await reader.readNickname()).toBeNull();

    const itemId = await writer.publishNickname("Ann 🌸");
    expect(await reader.readNickname()).toEqual({ node: PEP_NODE.nickname, itemId, payload: { nickname: "Ann 🌸" } });
    // Prosody's vCard-temp view takes NICKNAME from the nickname node while there is no vCard4.
    expect((await reader.readVcardTemp()).nickname).toBe("Ann 🌸");

    const cleared = await writer.publishNickname(null);
    expect(cleared).not.toBe(itemId);
    expect(await reader.readNickname()).toEqual({
      node: PEP_NODE.nickname,
      itemId: cleared,
      payload: { nickname: null },
    });
  });

  it("mood with text, then no mood", async () => {
    const user = await newAccount();
    const [writer, reader] = await Promise.all([connect(user), connect(user)]);
    const itemId = await writer.publishMood({ mood: "in_love", text: "spring ✿" });
    expect(await reader.readMood()).toEqual({
      node: PEP_NODE.mood,
      itemId,
      payload: { mood: "in_love", text: "spring ✿" },
    });

    const none = await writer.publishMood(null);
    expect(await reader.readMood()).toEqual({ node: PEP_NODE.mood, itemId: none, payload: { mood: null, text: null } });
  });

  it("a caller-chosen item id is the one stored (a retried write stays the same item)", async () => {
    const user = await newAccount();
    const [writer, reader] = await Promise.all([connect(user), connect(user)]);
    const itemId = "write-key-1";
    expect(await writer.publishMood({ mood: "happy" }, { itemId })).toBe(itemId);
    expect(await writer.publishMood({ mood: "happy" }, { itemId })).toBe(itemId);
    expect((await reader.readMood())?.itemId).toBe(itemId);
  });

  it("avatar: data and metadata under the SHA-1 id, shown to vCard-temp readers too, then disabled", async () => {
    const user = await newAccount();
    const [writer, reader] = await Promise.all([connect(user), connect(user)]);
    const bytes = await png(200, 40, 90);

    const itemId = await writer.publishAvatar({ bytes, type: "image/png", width: 16, height: 16 });
    expect(itemId).toBe(avatarId(bytes));
    expect(await reader.readAvatar()).toEqual({
      node: PEP_NODE.avatar,
      itemId,
      payload: { avatar: { id: itemId, type: "image/png", bytes: bytes.length, width: 16, height: 16 } },
    });
    expect(await reader.readAvatarData(itemId)).toEqual(bytes);
    const vcard = await reader.readVcardTemp();
    expect(vcard.photo).toEqual({ type: "image/png", bytes, sha1: itemId });

    const disabled = await writer.publishAvatar(null);
    expect(disabled).not.toBe(itemId);
    expect(await reader.readAvatar()).toEqual({ node: PEP_NODE.avatar, itemId: disabled, payload: { avatar: null } });
    expect((await reader.readVcardTemp()).photo).toBeNull();
  });

  it("avatar written the XEP-0153 way (vCard-temp PHOTO) reaches the PEP avatar under the same id", async () => {
    const user = await newAccount();
    const [writer, reader] = await Promise.all([connect(user), connect(user)]);
    const bytes = await png(10, 120, 250);
    expect(await writer.publishVcardPhoto({ bytes, type: "image/png" })).toBe(avatarId(bytes));
    const avatar = await reader.readAvatar();
    expect(avatar?.itemId).toBe(avatarId(bytes));
    expect(await reader.readAvatarData(avatarId(bytes))).toEqual(bytes);
  });

  it("an avatar over the size limit is refused before it is sent", async () => {
    const user = await newAccount();
    const writer = await connect(user);
    const error = await writer
      .publishAvatar({ bytes: Buffer.alloc(200 * 1024), type: "image/png" })
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).kind).toBe("permanent");
    // The session is still usable: nothing reached the server.
    expect(await writer.publishNickname("still here")).toBeTruthy();
  });

  it("signature as the vCard4 note, which vCard-temp readers see as NOTE; null removes it", async () => {
    const user = await newAccount();
    const [writer, reader] = await Promise.all([connect(user), connect(user)]);
    await writer.publishNickname("Ann");
    const itemId = await writer.publishSignature("Out climbing · back Monday");
    expect(await reader.readSignature()).toEqual({
      node: PEP_NODE.vcard4,
      itemId,
      payload: { signature: "Out climbing · back Monday", nickname: "Ann" },
    });
    const vcard = await reader.readVcardTemp();
    expect(vcard.note).toBe("Out climbing · back Monday");
    // The vCard4 now answers NICKNAME; the nickname was carried into it.
    expect(vcard.nickname).toBe("Ann");

    const removed = await writer.publishSignature(null);
    expect(await reader.readSignature()).toEqual({
      node: PEP_NODE.vcard4,
      itemId: removed,
      payload: { signature: null, nickname: "Ann" },
    });
  });

  it("publishes into a node another client configured differently (publish-options precondition)", async () => {
    const user = await newAccount();
    const other = await rawClient(user, "phone");
    // The phone made the nickname node public; our publish-options ask for presence access.
    await other.iqCaller.request(
      xml(
        "iq",
        { type: "set" },
        xml(
          "pubsub",
          { xmlns: "http://jabber.org/protocol/pubsub" },
          xml(
            "publish",
            { node: PEP_NODE.nickname },
            xml("item", { id: "phone-1" }, xml("nick", { xmlns: PEP_NODE.nickname }, "Phone")),
          ),
          xml(
            "publish-options",
            {},
            xml(
              "x",
              { xmlns: "jabber:x:data", type: "submit" },
              xml(
                "field",
                { var: "FORM_TYPE", type: "hidden" },
                xml("value", {}, "http://jabber.org/protocol/pubsub#publish-options"),
              ),
              xml("field", { var: "pubsub#access_model" }, xml("value", {}, "open")),
            ),
          ),
        ),
      ),
    );
    const session = await connect(user);
    const itemId = await session.publishNickname("Ours");
    expect(await session.readNickname()).toEqual({ node: PEP_NODE.nickname, itemId, payload: { nickname: "Ours" } });
  });
});

describe("watch", () => {
  it("a mood published from connection B arrives at connection A's watch with its item id", async () => {
    const user = await newAccount();
    const watcher = await connect(user);
    await watcher.watch();
    const other = await connect(user);

    const arrived = nextItem(watcher, (item) => item.node === PEP_NODE.mood && item.payload !== null, "the mood");
    const itemId = await other.publishMood({ mood: "excited", text: "new job" });
    expect(await arrived).toEqual({ node: PEP_NODE.mood, itemId, payload: { mood: "excited", text: "new job" } });

    const avatarArrived = nextItem(watcher, (item) => item.node === PEP_NODE.avatar, "the avatar");
    const bytes = await png(1, 2, 3);
    const avatarItem = await other.publishAvatar({ bytes, type: "image/png", width: 16, height: 16 });
    expect((await avatarArrived).itemId).toBe(avatarItem);
  });

  it("starts with each node's current item, so a change made while away is not missed", async () => {
    const user = await newAccount();
    const other = await connect(user);
    const nickId = await other.publishNickname("Before");
    const signatureId = await other.publishSignature("Written before the watch");

    const watcher = await connect(user);
    const nick = nextItem(watcher, (item) => item.node === PEP_NODE.nickname, "the current nickname");
    const signature = nextItem(watcher, (item) => item.node === PEP_NODE.vcard4, "the current vCard4");
    await watcher.watch();
    expect(await nick).toEqual({ node: PEP_NODE.nickname, itemId: nickId, payload: { nickname: "Before" } });
    expect((await signature).itemId).toBe(signatureId);
  });

  it("does not show the watching session online to the account's contacts", async () => {
    const [ann, bob] = [await newAccount(), await newAccount()];
    const annPhone = await rawClient(ann, "phone");
    const bobPhone = await rawClient(bob, "phone");
    await annPhone.send(xml("presence"));
    await bobPhone.send(xml("presence"));
    // Bob subscribes to Ann's presence; Ann's phone approves.
    const request = nextStanza(
      annPhone,
      (stanza) => stanza.is("presence") && stanza.attrs.type === "subscribe",
      "the subscription request",
    );
    const annSeen = nextStanza(
      bobPhone,
      (stanza) => stanza.is("presence") && !stanza.attrs.type && String(stanza.attrs.from).startsWith(`${ann}@`),
      "Ann's presence",
    );
    await bobPhone.send(xml("presence", { type: "subscribe", to: `${ann}@${prosody.domain}` }));
    await request;
    await annPhone.send(xml("presence", { type: "subscribed", to: `${bob}@${prosody.domain}` }));
    await annSeen;

    const seenByBob: string[] = [];
    bobPhone.on("stanza", (stanza: Element) => {
      if (stanza.is("presence")) seenByBob.push(String(stanza.attrs.from));
    });
    const watcher = await connect(ann);
    await watcher.watch();
    // A marker from Ann's phone, sent after the watch: Bob gets presences from Ann's server in order.
    const marker = nextStanza(
      bobPhone,
      (stanza) => stanza.is("presence") && stanza.getChildText("status") === "marker",
      "the marker",
    );
    await annPhone.send(xml("presence", {}, xml("status", {}, "marker")));
    await marker;
    expect(seenByBob.filter((from) => from === watcher.jid)).toEqual([]);
    expect(seenByBob).toContain(`${ann}@${prosody.domain}/phone`);
  });
});

describe("watch subscriptions", () => {
  /** The JIDs subscribed to one of the account's nodes, as its owner sees them. */
  async function subscribers(raw: Client, node: string): Promise<string[]> {
    const result = await raw.iqCaller.request(
      xml(
        "iq",
        { type: "get" },
        xml("pubsub", { xmlns: "http://jabber.org/protocol/pubsub#owner" }, xml("subscriptions", { node })),
      ),
    );
    return (
      result
        .getChild("pubsub")
        ?.getChild("subscriptions")
        ?.getChildren("subscription")
        .map((subscription) => String(subscription.attrs.jid)) ?? []
    );
  }

  it("creates missing nodes to subscribe to them, and close() unsubscribes", async () => {
    const user = await newAccount();
    const watcher = await connect(user, { resource: "oneprofile" });
    await watcher.watch();
    const owner = await rawClient(user, "phone");
    expect(await subscribers(owner, PEP_NODE.mood)).toEqual([watcher.jid]);
    expect(await subscribers(owner, PEP_NODE.vcard4)).toEqual([watcher.jid]);
    await watcher.close();
    expect(await subscribers(owner, PEP_NODE.mood)).toEqual([]);
  });

  it("a second session on the same resource replaces the first, which closes instead of fighting back", async () => {
    const user = await newAccount();
    const first = await connect(user, { resource: "oneprofile" });
    await first.watch();
    const closed = nextState(first, "closed");
    const second = await connect(user, { resource: "oneprofile" });
    await second.watch();
    const [, error] = await closed;
    expect(error?.message).toMatch(/same resource/);
    // The second keeps working: an event still reaches it.
    const other = await connect(user);
    const arrived = nextItem(
      second,
      (item) => item.node === PEP_NODE.mood && item.payload?.mood === "calm",
      "the mood",
    );
    const itemId = await other.publishMood({ mood: "calm" });
    expect((await arrived).itemId).toBe(itemId);
    expect(second.state).toBe("online");
  });
});

describe("reconnect (runs last: it restarts the shared server)", () => {
  it("a watch resumes after Prosody restarts and receives an event published after it", async () => {
    const user = await newAccount();
    const watcher = await connect(user);
    await watcher.watch();
    const states: TXmppConnectionState[] = [];
    watcher.onState((state) => states.push(state));

    const dropped = nextState(watcher, "reconnecting");
    await prosody.stop();
    await dropped;
    const back = nextState(watcher, "online");
    await prosody.start();
    await back;

    const other = await connect(user);
    const arrived = nextItem(
      watcher,
      (item) => item.node === PEP_NODE.mood && item.payload?.mood === "relieved",
      "the mood after the restart",
    );
    const itemId = await other.publishMood({ mood: "relieved" });
    expect((await arrived).itemId).toBe(itemId);
    expect(states).toEqual(["reconnecting", "online"]);
  });

  it("stops reconnecting, closed with an auth error, when the password no longer works", async () => {
    const user = await newAccount();
    const session = await connect(user);
    await session.watch();
    await prosody.stop();
    await prosody.deleteAccount(user);
    await prosody.createAccount(user, "a new password");
    const closed = nextState(session, "closed");
    await prosody.start();
    const [, error] = await closed;
    expect(error?.kind).toBe("auth");
  });
});
