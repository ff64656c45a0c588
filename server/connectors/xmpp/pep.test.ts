import { Parser, type Element } from "@xmpp/xml";
import { describe, expect, it } from "vitest";
import {
  avatarId,
  buildAvatarMetadata,
  buildMood,
  buildNickname,
  parseAvatarMetadata,
  parseMood,
  parseNickname,
  parsePepEvent,
  parseVcard4,
  parseVcardTemp,
  PEP_NODE,
  withVcard4Note,
  withVcardTempPhoto,
} from "./pep";

/** Parses one element the way the stream parser does: the root starts, its children arrive whole. */
function element(text: string): Element {
  const parser = new Parser();
  let root: Element | undefined;
  parser.on("start", (start: Element) => (root = start));
  parser.on("element", (child: Element) => root?.append(child));
  parser.write(text);
  parser.end("");
  if (!root) throw new Error(`not XML: ${text}`);
  return root;
}

describe("nickname and mood payloads", () => {
  it("round-trips a nickname, and reads the empty form as none", () => {
    expect(parseNickname(buildNickname("Ann 🌸"))).toEqual({ nickname: "Ann 🌸" });
    expect(buildNickname(null).toString()).toBe('<nick xmlns="http://jabber.org/protocol/nick"/>');
    expect(parseNickname(buildNickname(null))).toEqual({ nickname: null });
  });

  it("reads the XEP-0107 example (mood name and text)", () => {
    const mood = element("<mood xmlns='http://jabber.org/protocol/mood'><annoyed/><text>curse my nurse!</text></mood>");
    expect(parseMood(mood)).toEqual({ mood: "annoyed", text: "curse my nurse!" });
  });

  it("builds the mood element first and the text after, and the empty stop form", () => {
    expect(buildMood("in_love", "x").toString()).toBe(
      '<mood xmlns="http://jabber.org/protocol/mood"><in_love/><text>x</text></mood>',
    );
    expect(parseMood(buildMood("happy", null))).toEqual({ mood: "happy", text: null });
    expect(parseMood(buildMood(null, "ignored"))).toEqual({ mood: null, text: null });
  });
});

describe("avatar metadata", () => {
  it("reads the info the item id names when several formats are listed", () => {
    const metadata = element(`<metadata xmlns='urn:xmpp:avatar:metadata'>
      <info bytes='12345' height='64' id='111f4b3c50d7b0df729d299bc6f8e9ef9066971f' type='image/png' width='64'/>
      <info bytes='23456' height='64' id='e279f80c38f99c1e7e53e262b440993b2f7eea57' type='image/gif' width='64'/>
    </metadata>`);
    expect(parseAvatarMetadata(metadata, "e279f80c38f99c1e7e53e262b440993b2f7eea57")).toEqual({
      id: "e279f80c38f99c1e7e53e262b440993b2f7eea57",
      type: "image/gif",
      bytes: 23456,
      width: 64,
      height: 64,
    });
  });

  it("reads the empty metadata (avatar disabled) as none and round-trips an info", () => {
    expect(parseAvatarMetadata(buildAvatarMetadata(null))).toBeNull();
    const info = { id: avatarId(Buffer.from("png")), type: "image/png", bytes: 3, width: 1, height: 1 };
    expect(parseAvatarMetadata(buildAvatarMetadata(info), info.id)).toEqual(info);
  });

  it("names the image by the SHA-1 of its bytes, in hex", () => {
    expect(avatarId(Buffer.from("abc"))).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
  });
});

describe("vCards", () => {
  it("sets the vCard4 note and keeps every other property", () => {
    const current = element(
      "<vcard xmlns='urn:ietf:params:xml:ns:vcard-4.0'><fn><text>Ann</text></fn><note><text>old</text></note></vcard>",
    );
    const next = withVcard4Note(current, "new words", "Annie");
    expect(parseVcard4(next)).toEqual({ signature: "new words", nickname: "Annie" });
    expect(next.getChild("fn")?.getChildText("text")).toBe("Ann");
    expect(next.getChildren("note")).toHaveLength(1);
    expect(parseVcard4(withVcard4Note(next, null, null))).toEqual({ signature: null, nickname: "Annie" });
  });

  it("replaces the vCard-temp PHOTO and keeps the rest", () => {
    const current = element(
      "<vCard xmlns='vcard-temp'><FN>Ann</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>AAAA</BINVAL></PHOTO></vCard>",
    );
    const bytes = Buffer.from([1, 2, 3, 4, 5]);
    const vcard = parseVcardTemp(withVcardTempPhoto(current, { bytes, type: "image/jpeg" }));
    expect(vcard.fullName).toBe("Ann");
    expect(vcard.photo).toEqual({ type: "image/jpeg", bytes, sha1: avatarId(bytes) });
    expect(parseVcardTemp(withVcardTempPhoto(current, null)).photo).toBeNull();
  });
});

describe("parsePepEvent", () => {
  it("reads published items, retractions and purges of profile nodes, and skips other nodes", () => {
    const message = element(`<message from='a@x' type='headline'><event xmlns='http://jabber.org/protocol/pubsub#event'>
      <items node='http://jabber.org/protocol/mood'><item id='m1'><mood xmlns='http://jabber.org/protocol/mood'><happy/></mood></item></items>
      <items node='http://jabber.org/protocol/nick'><retract id='n1'/></items>
      <purge node='urn:xmpp:avatar:metadata'/>
      <items node='urn:xmpp:bookmarks:1'><item id='b'/></items>
    </event></message>`);
    expect(parsePepEvent(message)).toEqual([
      { node: PEP_NODE.mood, itemId: "m1", payload: { mood: "happy", text: null } },
      { node: PEP_NODE.nickname, itemId: "n1", payload: null },
      { node: PEP_NODE.avatar, itemId: null, payload: null },
    ]);
  });

  it("finds nothing in a message without an event", () => {
    expect(parsePepEvent(element("<message><body>hi</body></message>"))).toEqual([]);
  });
});
