import { describe, expect, it } from "vitest";
import { ZXmppServer } from "./definition";
import { namedTarget, srvAnswers, type TSrvLookup, xmppTargets } from "./resolve";

const failing =
  (code: string): TSrvLookup =>
  async () => {
    throw Object.assign(new Error(code), { code });
  };

describe("xmppTargets (RFC 6120 §3.2)", () => {
  it("asks for the domain's _xmpp-client._tcp records and orders them by priority, then weight", async () => {
    const asked: string[] = [];
    const lookup: TSrvLookup = async (name) => {
      asked.push(name);
      return [
        { name: "c.example.", port: 5222, priority: 20, weight: 0 },
        { name: "a.example", port: 5223, priority: 10, weight: 1 },
        { name: "b.example", port: 5224, priority: 10, weight: 9 },
      ];
    };
    expect(await xmppTargets("example.org", lookup)).toEqual([
      { host: "b.example", port: 5224 },
      { host: "a.example", port: 5223 },
      { host: "c.example", port: 5222 },
    ]);
    expect(asked).toEqual(["_xmpp-client._tcp.example.org"]);
  });

  it("falls back to the domain on 5222 when it has no SRV record", async () => {
    for (const code of ["ENODATA", "ENOTFOUND"]) {
      expect(await xmppTargets("example.org", failing(code))).toEqual([{ host: "example.org", port: 5222 }]);
    }
    expect(await xmppTargets("example.org", async () => [])).toEqual([{ host: "example.org", port: 5222 }]);
  });

  it("calls a DNS failure transient, and a lone '.' target permanent (no service)", async () => {
    await expect(xmppTargets("example.org", failing("ETIMEOUT"))).rejects.toMatchObject({ kind: "transient" });
    await expect(
      xmppTargets("example.org", async () => [{ name: ".", port: 0, priority: 0, weight: 0 }]),
    ).rejects.toMatchObject({ kind: "permanent" });
  });
});

describe("srvAnswers (the tests' DNS)", () => {
  it("answers the listed domains and says 'no record' for any other", async () => {
    const lookup = srvAnswers("a.test=localhost:5300,b.test=127.0.0.1:5301");
    expect(await xmppTargets("b.test", lookup)).toEqual([{ host: "127.0.0.1", port: 5301 }]);
    expect(await xmppTargets("other.test", lookup)).toEqual([{ host: "other.test", port: 5222 }]);
  });
});

describe("a server the person names (ZXmppServer, namedTarget)", () => {
  it("takes a host, a host and port, or an IP address, as people type them", () => {
    expect(namedTarget(ZXmppServer.parse(" XMPP.Example.org "))).toEqual({ host: "xmpp.example.org", port: 5222 });
    expect(namedTarget(ZXmppServer.parse("xmpp.example.org:5223"))).toEqual({ host: "xmpp.example.org", port: 5223 });
    expect(namedTarget(ZXmppServer.parse("192.0.2.7:5222"))).toEqual({ host: "192.0.2.7", port: 5222 });
    expect(namedTarget(ZXmppServer.parse("[2001:DB8::1]:5269"))).toEqual({ host: "2001:db8::1", port: 5269 });
    expect(namedTarget(ZXmppServer.parse("[2001:db8::1]"))).toEqual({ host: "2001:db8::1", port: 5222 });
  });

  it("refuses what is not a server name, with a message for the form", () => {
    for (const server of [
      "",
      "xmpp.example.org:0",
      "xmpp.example.org:65536",
      "http://x.example",
      "a b",
      "-x.example",
      "x:y",
      "[1:2]",
      "[:::]",
      "999.1.1.1",
      "a..b.example",
    ]) {
      const parsed = ZXmppServer.safeParse(server);
      expect(parsed.success, server).toBe(false);
      expect(parsed.error?.issues[0]?.message, server).toMatch(/server name|port/);
    }
  });
});
