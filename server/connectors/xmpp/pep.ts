/**
 * The XMPP profile payloads as data: PEP node names, the elements each XEP defines (nickname
 * XEP-0172, mood XEP-0107, avatar XEP-0084, vCard4 XEP-0292, vCard-temp XEP-0054/0153), parsed
 * into plain values and built from them. Pure: no connection, so `pep.test.ts` checks it against
 * the XEPs' own examples.
 */
import { createHash } from "node:crypto";
import { xml } from "@xmpp/client";
import type { Element } from "@xmpp/xml";

/** The PEP nodes the profile lives in (each node is named after its payload's namespace). */
export const PEP_NODE = {
  nickname: "http://jabber.org/protocol/nick",
  mood: "http://jabber.org/protocol/mood",
  avatar: "urn:xmpp:avatar:metadata",
  avatarData: "urn:xmpp:avatar:data",
  /** XEP-0292 vCard4 over PEP; the signature is its `note`. */
  vcard4: "urn:xmpp:vcard4",
} as const;

export const NS = {
  pubsub: "http://jabber.org/protocol/pubsub",
  pubsubEvent: "http://jabber.org/protocol/pubsub#event",
  pubsubErrors: "http://jabber.org/protocol/pubsub#errors",
  publishOptions: "http://jabber.org/protocol/pubsub#publish-options",
  nodeConfig: "http://jabber.org/protocol/pubsub#node_config",
  dataForms: "jabber:x:data",
  discoInfo: "http://jabber.org/protocol/disco#info",
  vcard4: "urn:ietf:params:xml:ns:vcard-4.0",
  vcardTemp: "vcard-temp",
  vcardUpdate: "vcard-temp:x:update",
  /** Advertised by a server (Prosody's mod_vcard_legacy) that keeps vCard-temp and PEP in step. */
  pepVcardConversion: "urn:xmpp:pep-vcard-conversion:0",
} as const;

/** XEP-0084 avatar metadata: one `<info/>`, the image's bytes stored in the data node under `id`. */
export interface TAvatarInfo {
  /** SHA-1 of the image bytes, lowercase hex: the item id in both avatar nodes. */
  id: string;
  type: string;
  bytes: number;
  width?: number;
  height?: number;
  /** An image hosted elsewhere (then the data node may hold nothing). */
  url?: string;
}

export interface TPepPayloads {
  [PEP_NODE.nickname]: { nickname: string | null };
  /** `mood` is the XEP-0107 element name ("happy", "in_love"); both null: no mood. */
  [PEP_NODE.mood]: { mood: string | null; text: string | null };
  /** `avatar` null: the owner disabled the avatar (an empty `<metadata/>`). */
  [PEP_NODE.avatar]: { avatar: TAvatarInfo | null };
  /** The vCard4 `note` (our signature) and the vCard4 `nickname`. */
  [PEP_NODE.vcard4]: { signature: string | null; nickname: string | null };
}

export type TPepNode = keyof TPepPayloads;

/**
 * One item of an own PEP node, read or reported. `payload` null: the item was retracted or the
 * node purged or deleted (no value, like an empty payload). `itemId` is the vendor mark: the id
 * the server stored the item under (null only for a purge or delete, which names none).
 */
export type TPepItem<TNode extends TPepNode = TPepNode> = {
  [N in TNode]: { node: N; itemId: string | null; payload: TPepPayloads[N] | null };
}[TNode];

export function isPepNode(node: string): node is TPepNode {
  return node === PEP_NODE.nickname || node === PEP_NODE.mood || node === PEP_NODE.avatar || node === PEP_NODE.vcard4;
}

function nonEmpty(text: string | null | undefined): string | null {
  return text === undefined || text === null || text === "" ? null : text;
}

function optionalNumber(value: unknown): number | undefined {
  const number = Number(value);
  return typeof value === "string" && value !== "" && Number.isFinite(number) ? number : undefined;
}

export function parseNickname(payload: Element | undefined): TPepPayloads[typeof PEP_NODE.nickname] {
  return { nickname: payload?.is("nick", PEP_NODE.nickname) ? nonEmpty(payload.text()) : null };
}

export function buildNickname(nickname: string | null): Element {
  const element = xml("nick", { xmlns: PEP_NODE.nickname });
  if (nickname !== null) element.t(nickname);
  return element;
}

export function parseMood(payload: Element | undefined): TPepPayloads[typeof PEP_NODE.mood] {
  if (!payload?.is("mood", PEP_NODE.mood)) return { mood: null, text: null };
  const value = payload.getChildElements().find((child) => child.name !== "text");
  return { mood: value?.name ?? null, text: nonEmpty(payload.getChildText("text")) };
}

/** `mood` null: the "stop" form (an empty `<mood/>`); a text without a mood is not sent. */
export function buildMood(mood: string | null, text: string | null): Element {
  const element = xml("mood", { xmlns: PEP_NODE.mood });
  if (mood === null) return element;
  element.append(xml(mood));
  if (text) element.append(xml("text", {}, text));
  return element;
}

export function parseAvatarMetadata(payload: Element | undefined, itemId?: string | null): TAvatarInfo | null {
  if (!payload?.is("metadata", PEP_NODE.avatar)) return null;
  const infos = payload.getChildren("info");
  // Several formats may be listed; the item id names the one whose bytes are in the data node.
  const info = infos.find((candidate) => candidate.attrs.id === itemId) ?? infos[0];
  if (!info?.attrs.id) return null;
  const avatar: TAvatarInfo = {
    id: String(info.attrs.id),
    type: String(info.attrs.type ?? ""),
    bytes: optionalNumber(info.attrs.bytes) ?? 0,
  };
  const width = optionalNumber(info.attrs.width);
  const height = optionalNumber(info.attrs.height);
  if (width !== undefined) avatar.width = width;
  if (height !== undefined) avatar.height = height;
  if (info.attrs.url) avatar.url = String(info.attrs.url);
  return avatar;
}

/** `avatar` null: the XEP-0084 "disable" form, an empty `<metadata/>`. */
export function buildAvatarMetadata(avatar: TAvatarInfo | null): Element {
  const element = xml("metadata", { xmlns: PEP_NODE.avatar });
  if (!avatar) return element;
  const attrs: Record<string, string> = { id: avatar.id, type: avatar.type, bytes: String(avatar.bytes) };
  if (avatar.width !== undefined) attrs.width = String(avatar.width);
  if (avatar.height !== undefined) attrs.height = String(avatar.height);
  if (avatar.url) attrs.url = avatar.url;
  element.append(xml("info", attrs));
  return element;
}

export function buildAvatarData(bytes: Buffer): Element {
  return xml("data", { xmlns: PEP_NODE.avatarData }, bytes.toString("base64"));
}

/** The image bytes of an avatar data payload (base64, whitespace ignored as XEP-0084 allows). */
export function parseAvatarData(payload: Element | undefined): Buffer | null {
  if (!payload?.is("data", PEP_NODE.avatarData)) return null;
  return Buffer.from(payload.text().replace(/\s+/g, ""), "base64");
}

/** The XEP-0084 item id: SHA-1 of the image bytes, lowercase hex. */
export function avatarId(bytes: Buffer): string {
  return createHash("sha1").update(bytes).digest("hex");
}

export function parseVcard4(payload: Element | undefined): TPepPayloads[typeof PEP_NODE.vcard4] {
  if (!payload?.is("vcard", NS.vcard4)) return { signature: null, nickname: null };
  return {
    signature: nonEmpty(payload.getChild("note")?.getChildText("text")),
    nickname: nonEmpty(payload.getChild("nickname")?.getChildText("text")),
  };
}

/**
 * The vCard4 with its `note` set to `signature` (removed for null) and every other property kept
 * as it was; `fallbackNickname` fills a missing `nickname`, because once a vCard4 exists Prosody
 * answers vCard-temp NICKNAME from it rather than from the nickname node.
 */
export function withVcard4Note(
  current: Element | undefined,
  signature: string | null,
  fallbackNickname: string | null,
): Element {
  const kept = current?.is("vcard", NS.vcard4)
    ? current.getChildElements().filter((child) => child.name !== "note")
    : [];
  const vcard = xml("vcard", { xmlns: NS.vcard4 }, ...kept);
  if (fallbackNickname && !kept.some((child) => child.name === "nickname")) {
    vcard.append(xml("nickname", {}, xml("text", {}, fallbackNickname)));
  }
  if (signature !== null) vcard.append(xml("note", {}, xml("text", {}, signature)));
  return vcard;
}

/** What a vCard-temp (XEP-0054) holds of the profile. */
export interface TVcardTemp {
  fullName: string | null;
  nickname: string | null;
  /** DESC, the "about me" that legacy clients edit. */
  description: string | null;
  /** NOTE: where Prosody shows the vCard4 note (a DESC written over vCard-temp lands there too). */
  note: string | null;
  /** The embedded photo (XEP-0153), with the SHA-1 of its bytes; null when there is none. */
  photo: { type: string; bytes: Buffer; sha1: string } | null;
}

export function parseVcardTemp(vcard: Element | undefined): TVcardTemp {
  const binval = vcard?.getChild("PHOTO")?.getChildText("BINVAL")?.replace(/\s+/g, "");
  const bytes = binval ? Buffer.from(binval, "base64") : null;
  return {
    fullName: nonEmpty(vcard?.getChildText("FN")),
    nickname: nonEmpty(vcard?.getChildText("NICKNAME")),
    description: nonEmpty(vcard?.getChildText("DESC")),
    note: nonEmpty(vcard?.getChildText("NOTE")),
    photo:
      bytes && bytes.length > 0
        ? { type: vcard?.getChild("PHOTO")?.getChildText("TYPE") ?? "", bytes, sha1: avatarId(bytes) }
        : null,
  };
}

/** The vCard-temp with its PHOTO replaced (removed for null) and everything else kept. */
export function withVcardTempPhoto(
  current: Element | undefined,
  photo: { type: string; bytes: Buffer } | null,
): Element {
  const kept = current?.is("vCard", NS.vcardTemp)
    ? current.getChildElements().filter((child) => child.name !== "PHOTO")
    : [];
  const vcard = xml("vCard", { xmlns: NS.vcardTemp }, ...kept);
  if (photo) {
    vcard.append(xml("PHOTO", {}, xml("TYPE", {}, photo.type), xml("BINVAL", {}, photo.bytes.toString("base64"))));
  }
  return vcard;
}

/** A data form submitting XEP-0060 publish-options (`pubsub#access_model` and the like). */
export function buildPublishOptions(fields: Record<string, string>): Element {
  return xml(
    "publish-options",
    {},
    xml(
      "x",
      { xmlns: NS.dataForms, type: "submit" },
      xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, NS.publishOptions)),
      ...Object.entries(fields).map(([name, value]) => xml("field", { var: name }, xml("value", {}, value))),
    ),
  );
}

/** The payload of `item` as the value its node defines. */
function payloadOf(node: TPepNode, item: Element): TPepItem["payload"] {
  const payload = item.getChildElements()[0];
  switch (node) {
    case PEP_NODE.nickname:
      return parseNickname(payload);
    case PEP_NODE.mood:
      return parseMood(payload);
    case PEP_NODE.avatar:
      return { avatar: parseAvatarMetadata(payload, item.attrs.id as string | undefined) };
    case PEP_NODE.vcard4:
      return parseVcard4(payload);
  }
}

/** An `<item/>` of a profile node (from an items result or an event), parsed. */
export function parsePepItem(node: TPepNode, item: Element): TPepItem {
  return { node, itemId: (item.attrs.id as string | undefined) ?? null, payload: payloadOf(node, item) } as TPepItem;
}

/**
 * The profile items a PEP notification carries (XEP-0060 `<event/>`): published items, and
 * retractions, purges and deletions as items without a payload. Other nodes are left out.
 */
export function parsePepEvent(message: Element): TPepItem[] {
  const event = message.getChild("event", NS.pubsubEvent);
  if (!event) return [];
  const items: TPepItem[] = [];
  for (const child of event.getChildElements()) {
    const node = String(child.attrs.node ?? "");
    if (!isPepNode(node)) continue;
    if (child.name === "items") {
      for (const entry of child.getChildElements()) {
        if (entry.name === "item") items.push(parsePepItem(node, entry));
        else if (entry.name === "retract") {
          items.push({ node, itemId: (entry.attrs.id as string | undefined) ?? null, payload: null } as TPepItem);
        }
      }
    } else if (child.name === "purge" || child.name === "delete") {
      items.push({ node, itemId: null, payload: null } as TPepItem);
    }
  }
  return items;
}
