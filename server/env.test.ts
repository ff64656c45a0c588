import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadEnv } from "./env";

const tempDir = () => mkdtempSync(path.join(os.tmpdir(), "oneprofile-env-"));

describe("loadEnv", () => {
  it("generates missing secrets once into the data directory in development", () => {
    const dir = tempDir();
    const first = loadEnv({ NODE_ENV: "development", ONEPROFILE_DATA_DIR: dir });
    const second = loadEnv({ NODE_ENV: "development", ONEPROFILE_DATA_DIR: dir });
    expect(first.NEXTAUTH_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(second.NEXTAUTH_SECRET).toBe(first.NEXTAUTH_SECRET);
    const file = path.join(dir, "secrets.json");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({
      NEXTAUTH_SECRET: first.NEXTAUTH_SECRET,
      ONEPROFILE_ENCRYPTION_KEY: first.ONEPROFILE_ENCRYPTION_KEY,
      SANDBOX_WEBHOOK_SECRET: first.SANDBOX_WEBHOOK_SECRET,
    });
    expect(first.ONEPROFILE_ENCRYPTION_KEY).toMatch(/^dev1:[A-Za-z0-9+/]{43}=$/);
  });

  it("stops a production start that lacks a secret, naming it", () => {
    const dir = tempDir();
    const sandboxUrl = "http://sandbox.internal:4010";
    expect(() => loadEnv({ NODE_ENV: "production", ONEPROFILE_DATA_DIR: dir, SANDBOX_URL: sandboxUrl })).toThrow(
      "NEXTAUTH_SECRET, ONEPROFILE_ENCRYPTION_KEY, SANDBOX_WEBHOOK_SECRET must be set in production",
    );
    expect(existsSync(path.join(dir, "secrets.json"))).toBe(false);
  });

  it("names the missing secrets also when another value is invalid", () => {
    const dir = tempDir();
    expect(() => loadEnv({ NODE_ENV: "production", ONEPROFILE_DATA_DIR: dir, NEXTAUTH_SECRET: "short" })).toThrow(
      /NEXTAUTH_SECRET: must be at least 32 characters\n {2}ONEPROFILE_ENCRYPTION_KEY: must be set in production/,
    );
  });

  it("names every missing secret at once, the webhook secret only when the sandbox networks are on", () => {
    const dir = tempDir();
    const sandboxUrl = "http://sandbox.internal:4010";
    expect(() => loadEnv({ NODE_ENV: "production", ONEPROFILE_DATA_DIR: dir })).toThrow(
      /^OneProfile: NEXTAUTH_SECRET, ONEPROFILE_ENCRYPTION_KEY must be set in production/,
    );
    expect(() => loadEnv({ NODE_ENV: "production", ONEPROFILE_DATA_DIR: dir, SANDBOX_URL: sandboxUrl })).toThrow(
      /^OneProfile: NEXTAUTH_SECRET, ONEPROFILE_ENCRYPTION_KEY, SANDBOX_WEBHOOK_SECRET must be set in production/,
    );
    expect(() =>
      loadEnv({
        NODE_ENV: "production",
        NEXTAUTH_SECRET: "s".repeat(40),
        SANDBOX_URL: sandboxUrl,
        ONEPROFILE_DATA_DIR: dir,
      }),
    ).toThrow(/^OneProfile: ONEPROFILE_ENCRYPTION_KEY, SANDBOX_WEBHOOK_SECRET must be set/);
    expect(existsSync(path.join(dir, "secrets.json"))).toBe(false);
  });

  it("turns the sandbox networks off in production unless SANDBOX_URL names one", () => {
    const secrets = {
      NEXTAUTH_SECRET: "s".repeat(40),
      ONEPROFILE_ENCRYPTION_KEY: `k1:${Buffer.alloc(32, 7).toString("base64")}`,
    };
    const off = loadEnv({ NODE_ENV: "production", ...secrets });
    expect(off.IS_SANDBOX_ENABLED).toBe(false);
    // No webhook can be signed for networks that are off: the key is one no one holds.
    expect(off.SANDBOX_WEBHOOK_SECRET).not.toBe(loadEnv({ NODE_ENV: "production", ...secrets }).SANDBOX_WEBHOOK_SECRET);
    const on = loadEnv({
      NODE_ENV: "production",
      ...secrets,
      SANDBOX_URL: "http://sandbox.internal:4010",
      SANDBOX_WEBHOOK_SECRET: "w".repeat(20),
    });
    expect(on.IS_SANDBOX_ENABLED).toBe(true);
    expect(loadEnv({ NODE_ENV: "development", ONEPROFILE_DATA_DIR: tempDir() }).IS_SANDBOX_ENABLED).toBe(true);
  });

  it("reads TRUSTED_PROXY_HOPS as a whole number from 0 to 10, 0 by default", () => {
    const dir = tempDir();
    expect(loadEnv({ NODE_ENV: "development", ONEPROFILE_DATA_DIR: dir }).TRUSTED_PROXY_HOPS).toBe(0);
    expect(
      loadEnv({ NODE_ENV: "development", ONEPROFILE_DATA_DIR: dir, TRUSTED_PROXY_HOPS: "2" }).TRUSTED_PROXY_HOPS,
    ).toBe(2);
    for (const value of ["-1", "11", "1.5", "one"]) {
      expect(() => loadEnv({ NODE_ENV: "development", ONEPROFILE_DATA_DIR: dir, TRUSTED_PROXY_HOPS: value })).toThrow(
        /TRUSTED_PROXY_HOPS/,
      );
    }
  });

  it("uses the given secret and database", () => {
    const secret = "s".repeat(40);
    const result = loadEnv({
      NODE_ENV: "production",
      NEXTAUTH_SECRET: secret,
      ONEPROFILE_ENCRYPTION_KEY: `k1:${Buffer.alloc(32, 7).toString("base64")}`,
      SANDBOX_WEBHOOK_SECRET: "w".repeat(20),
      DATABASE_URL: "postgresql://u:p@db.example:5432/oneprofile",
      PORT: "8080",
    });
    expect(result).toMatchObject({ NEXTAUTH_SECRET: secret, PORT: 8080 });
    expect(result.DATABASE_URL).toBe("postgresql://u:p@db.example:5432/oneprofile");
  });

  it("rejects a malformed value with a readable message", () => {
    expect(() => loadEnv({ NODE_ENV: "development", DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL/);
    expect(() => loadEnv({ NODE_ENV: "production", NEXTAUTH_SECRET: "short" })).toThrow(
      /NEXTAUTH_SECRET: must be at least 32/,
    );
  });
});
