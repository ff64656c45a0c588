import { describe, expect, it } from "vitest";
import { publicAddressesOf, isAllowedAddress } from "./public-address";

describe("isAllowedAddress", () => {
  it.each([
    ["127.0.0.1", false],
    ["::1", false],
    ["10.1.2.3", false],
    ["172.20.0.1", false],
    ["192.168.1.1", false],
    ["169.254.169.254", false],
    ["100.64.0.1", false],
    ["0.0.0.0", false],
    ["fd00::1", false],
    ["fe80::1", false],
    ["::ffff:10.0.0.1", false],
    ["::ffff:127.0.0.1", false],
    ["::7f00:1", false],
    ["64:ff9b::a00:1", false],
    ["64:ff9b:1::a00:1", false],
    ["2002:c0a8:101::1", false],
    ["2001:0:4136:e378::1", false],
    ["fec0::1", false],
    ["::ffff:0:a00:1", false],
    ["100::1", false],
    ["2001:4860:4860::8888", true],
    ["93.184.216.34", true],
    ["2606:2800:220:1:248:1893:25c8:1946", true],
    ["::ffff:93.184.216.34", true],
  ])("%s → %s", (address, isAllowed) => {
    expect(isAllowedAddress(address, { isLoopbackAllowed: false })).toBe(isAllowed);
  });

  it("lets loopback through only when allowed, and nothing else private", () => {
    expect(isAllowedAddress("127.0.0.1", { isLoopbackAllowed: true })).toBe(true);
    expect(isAllowedAddress("::1", { isLoopbackAllowed: true })).toBe(true);
    expect(isAllowedAddress("10.0.0.1", { isLoopbackAllowed: true })).toBe(false);
  });
});

describe("publicAddressesOf", () => {
  it("refuses a name when any of its addresses is private, not only the first", async () => {
    const resolve = async () => ["93.184.216.34", "10.0.0.7"];
    await expect(publicAddressesOf("mixed.example", { isLoopbackAllowed: false, resolve })).rejects.toMatchObject({
      kind: "permanent",
    });
    await expect(
      publicAddressesOf("public.example", { isLoopbackAllowed: false, resolve: async () => ["93.184.216.34"] }),
    ).resolves.toEqual(["93.184.216.34"]);
  });

  it("calls a name that does not resolve transient", async () => {
    const resolve = async (): Promise<string[]> => {
      throw new Error("ENOTFOUND");
    };
    await expect(publicAddressesOf("nowhere.example", { isLoopbackAllowed: false, resolve })).rejects.toMatchObject({
      kind: "transient",
    });
  });
});
