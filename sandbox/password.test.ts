import { describe, expect, it } from "vitest";
import { checkPassword, hashPassword } from "./store";

describe("sandbox passwords", () => {
  it("checks a hash made at scrypt's default cost, stored as salt:hash", async () => {
    const hash = hashPassword("secret");
    expect(hash.split(":")).toHaveLength(2);
    expect(await checkPassword(hash, "secret")).toBe(true);
    expect(await checkPassword(hash, "Secret")).toBe(false);
  });

  it("records a lower cost with the hash and checks with it", async () => {
    const hash = hashPassword("secret", 1024);
    expect(hash.split(":")[2]).toBe("1024");
    expect(await checkPassword(hash, "secret")).toBe(true);
    expect(await checkPassword(hash, "other")).toBe(false);
  });
});
