/**
 * Key rotation with a row it cannot decrypt: every other row is still re-encrypted, the bad one
 * is left as it was and named (account id and why, never its data), and `npm run keys:rotate`
 * exits non-zero. Before, the first such row stopped the rotation of every row after it. The
 * message groups the rows by reason, with counts and at most 20 account ids each.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { spawnTs } from "../../scripts/lib/spawn-ts";
import { createKeyring } from "../crypto/secrets";
import { openCredentials, sealCredentials } from "./credentials";
import { KeyRotationError, rotateCredentialKeys } from "./rotate-keys";

const { db, url } = await setupTestDb();
const keySpec = (id: string) => `${id}:${randomBytes(32).toString("base64")}`;

let counter = 0;
/** Accounts sealed with `oldKey`; those `isBad` picks hold a ciphertext whose tag no longer matches. */
async function seedAccounts(oldKey: string, count: number, isBad: (index: number) => boolean) {
  const user = await db.user.create({
    data: { email: `r-${randomBytes(4).toString("hex")}@example.com`, passwordHash: "x" },
  });
  const sealing = createKeyring(oldKey, undefined);
  const accounts = [];
  for (let index = 0; index < count; index++) {
    const login = String(60_000_000 + ++counter);
    const secret = `secret-${randomBytes(6).toString("hex")}`;
    let credentials = sealCredentials(sealing, "qq", { login, secret });
    if (isBad(index)) {
      const parts = credentials.split(".");
      parts[4] = Buffer.from(`${secret}!`).toString("base64url");
      credentials = parts.join(".");
    }
    const row = await db.linkedAccount.create({
      data: {
        userId: user.id,
        networkId: "qq",
        login,
        credentials,
        credentialsKeyId: sealing.current.id,
        verifiedAt: new Date(),
      },
    });
    accounts.push({ id: row.id, login, secret, credentials });
  }
  return accounts;
}

const ids = (accounts: ReadonlyArray<{ id: string }>) => accounts.map((account) => account.id).sort();

describe("rotateCredentialKeys", () => {
  it("rotates every readable row past one it cannot decrypt, then names that one", async () => {
    const oldKey = keySpec("old1");
    const accounts = await seedAccounts(oldKey, 5, (index) => index === 2);
    const newKey = keySpec("new1");

    const error = await rotateCredentialKeys(db, createKeyring(newKey, oldKey)).then(
      () => null,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(KeyRotationError);
    const failure = error as KeyRotationError;
    const bad = accounts[2]!;
    expect(failure.rotated).toBe(4);
    expect(failure.unreadable).toEqual([
      { accountId: bad.id, reason: expect.stringContaining("could not be decrypted") },
    ]);
    expect(failure.message).toContain(`account ${bad.id}`);
    for (const account of accounts) {
      expect(failure.message).not.toContain(account.secret);
      expect(failure.message).not.toContain(account.credentials);
    }
    const current = createKeyring(newKey, undefined);
    for (const account of accounts) {
      const row = await db.linkedAccount.findUniqueOrThrow({ where: { id: account.id } });
      if (account === bad) {
        expect(row).toMatchObject({ credentials: bad.credentials, credentialsKeyId: "old1" });
      } else {
        expect(row.credentialsKeyId).toBe("new1");
        expect(openCredentials(current, row)).toEqual({ login: account.login, secret: account.secret });
      }
    }
  });

  it("says why in one line per reason with its count, naming at most 20 accounts for each", async () => {
    // Only this test's accounts: the rows left by the one before would add a reason.
    await db.linkedAccount.deleteMany({});
    const oldKey = keySpec("old3");
    const goneKey = keySpec("gone3");
    const tampered = await seedAccounts(oldKey, 8, (index) => index < 5);
    const unconfigured = await seedAccounts(goneKey, 45, () => false);
    const newKey = keySpec("new3");

    const error = await rotateCredentialKeys(db, createKeyring(newKey, oldKey)).then(
      () => null,
      (e: unknown) => e,
    );
    await db.linkedAccount.deleteMany({});

    expect(error).toBeInstanceOf(KeyRotationError);
    const failure = error as KeyRotationError;
    expect(failure.rotated).toBe(3);
    expect(failure.unreadable).toHaveLength(50);
    const lines = failure.message.split("\n");
    expect(lines).toEqual([
      'Re-encrypted 3 accounts with key "new3"; 50 could not be decrypted and were left unchanged:',
      '  45 accounts: Encryption key "gone3" is not configured.',
      ...ids(unconfigured)
        .slice(0, 20)
        .map((id) => `    account ${id}`),
      "    … and 25 more",
      "  5 accounts: Credentials could not be decrypted (wrong key or tampered data).",
      ...ids(tampered.slice(0, 5)).map((id) => `    account ${id}`),
      expect.stringContaining("ONEPROFILE_ENCRYPTION_OLD_KEYS"),
    ]);
  });

  it("makes `npm run keys:rotate` exit non-zero after rotating the rest, naming the account", async () => {
    const oldKey = keySpec("old2");
    const accounts = await seedAccounts(oldKey, 3, (index) => index === 0);
    const goneKey = keySpec("gone2");
    await seedAccounts(goneKey, 30, () => false);
    const child = spawnTs("scripts/keys-rotate.ts", {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        DATABASE_URL: url,
        ONEPROFILE_ENCRYPTION_KEY: keySpec("new2"),
        ONEPROFILE_ENCRYPTION_OLD_KEYS: oldKey,
      },
    });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));

    expect({ code, output }).toEqual({ code: 1, output: expect.stringContaining(`account ${accounts[0]!.id}\n`) });
    expect(output).toContain("Re-encrypted 2 accounts");
    expect(output).toContain('30 accounts: Encryption key "gone2" is not configured.');
    expect(output).toContain("… and 10 more");
    expect(output.split("\n").length).toBeLessThan(40);
    for (const account of accounts) expect(output).not.toContain(account.secret);
    const rows = await db.linkedAccount.findMany({
      where: { id: { in: accounts.map((account) => account.id) } },
      select: { id: true, credentialsKeyId: true },
    });
    expect(new Map(rows.map((row) => [row.id, row.credentialsKeyId]))).toEqual(
      new Map(accounts.map((account, index) => [account.id, index === 0 ? "old2" : "new2"])),
    );
  }, 60_000);
});
