import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createKeyring, decryptSecret, DecryptionError, encryptSecret, keyIdOf } from "./secrets";

const keySpec = (id: string) => `${id}:${randomBytes(32).toString("base64")}`;

describe("credential encryption", () => {
  const k1 = keySpec("k1");
  const k2 = keySpec("k2");

  it("round-trips, with a fresh IV every time and the key id in the envelope", () => {
    const keyring = createKeyring(k1, undefined);
    const a = encryptSecret(keyring, "hunter2 🔑", "account:qq:10001");
    const b = encryptSecret(keyring, "hunter2 🔑", "account:qq:10001");
    expect(a).not.toBe(b);
    expect(a).not.toContain("hunter2");
    expect(keyIdOf(a)).toBe("k1");
    expect(decryptSecret(keyring, a, "account:qq:10001")).toBe("hunter2 🔑");
  });

  it("refuses a ciphertext moved to another row (associated data) or tampered with", () => {
    const keyring = createKeyring(k1, undefined);
    const envelope = encryptSecret(keyring, "secret", "account:qq:10001");
    expect(() => decryptSecret(keyring, envelope, "account:qq:10002")).toThrow(DecryptionError);
    const parts = envelope.split(".");
    parts[4] = Buffer.from("tampered").toString("base64url");
    expect(() => decryptSecret(keyring, parts.join("."), "account:qq:10001")).toThrow(DecryptionError);
  });

  it("rotates: the new key encrypts, the old one still decrypts, a dropped key does not", () => {
    const old = createKeyring(k1, undefined);
    const envelope = encryptSecret(old, "secret", "aad");
    const rotated = createKeyring(k2, k1);
    expect(decryptSecret(rotated, envelope, "aad")).toBe("secret");
    expect(keyIdOf(encryptSecret(rotated, "secret", "aad"))).toBe("k2");
    expect(() => decryptSecret(createKeyring(k2, undefined), envelope, "aad")).toThrow(/"k1" is not configured/);
  });

  it("rejects malformed keys", () => {
    expect(() => createKeyring("k1:short", undefined)).toThrow(/32 bytes/);
  });
});
