import { describe, expect, it } from "vitest";
import { srvAnswers, type TSrvLookup, xmppTargets } from "./resolve";

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
