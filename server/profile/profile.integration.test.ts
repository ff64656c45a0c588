/** The profile update transaction and the preview, on a real database (no network needed). */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { previewProfile } from "./queries";
import { updateProfile } from "./update";

const { db } = await setupTestDb();

async function userWithAccounts(networks: Array<{ networkId: string; login: string; syncMood?: boolean }>) {
  const user = await db.user.create({
    data: { email: `p${randomBytes(4).toString("hex")}@example.com`, passwordHash: "x" },
  });
  const accounts = [];
  for (const { networkId, login, syncMood = true } of networks) {
    accounts.push(
      await db.linkedAccount.create({
        data: {
          userId: user.id,
          networkId,
          login,
          credentials: "v1.x",
          credentialsKeyId: "x",
          verifiedAt: new Date(),
          syncMood,
        },
      }),
    );
  }
  return { user, accounts };
}

describe("updateProfile", () => {
  it("writes a revision and its deliveries together, and nothing when nothing changed", async () => {
    const { user, accounts } = await userWithAccounts([
      { networkId: "qq", login: "11111" },
      { networkId: "msn", login: "p@msn.example", syncMood: false },
    ]);
    const first = await updateProfile(db, {
      userId: user.id,
      changes: { mood: "sleepy", signature: "zzz" },
      source: "portal",
    });
    expect(first).toMatchObject({ version: 1, changedFields: ["signature", "mood"], deliveries: 2 });
    const msn = await db.delivery.findFirstOrThrow({ where: { linkedAccountId: accounts[1]!.id } });
    expect(msn.skipped).toEqual([{ field: "mood", reason: "not_synced" }]);
    expect(msn.settings).toEqual({ signature: "zzz" });

    expect(await updateProfile(db, { userId: user.id, changes: { mood: "sleepy" }, source: "portal" })).toBeNull();
    expect(await db.profileRevision.count({ where: { userId: user.id } })).toBe(1);
  });

  it("sends nothing back to the account the change came from", async () => {
    const { user, accounts } = await userWithAccounts([
      { networkId: "qq", login: "22222" },
      { networkId: "fetion", login: "13900000022" },
    ]);
    await updateProfile(db, {
      userId: user.id,
      changes: { signature: "from QQ" },
      source: "qq",
      sourceAccountId: accounts[0]!.id,
    });
    const deliveries = await db.delivery.findMany({ where: { userId: user.id } });
    expect(deliveries.map((d) => d.linkedAccountId)).toEqual([accounts[1]!.id]);
  });
});

describe("previewProfile", () => {
  it("shows what each network would get, with warnings and skipped fields", async () => {
    const { user } = await userWithAccounts([
      { networkId: "qq", login: "33333" },
      { networkId: "facebook", login: "p@facebook.example", syncMood: false },
    ]);
    const preview = await previewProfile(db, user.id, {
      displayName: "A name that is far too long for QQ",
      signature: "short",
      mood: "cool",
      moodText: "",
    });
    expect(preview.map((p) => [p.networkId, p.settings, p.skipped, p.warnings.map((w) => w.message)])).toEqual([
      [
        "qq",
        { displayName: "A name that…", signature: "short", mood: "😎", moodText: "" },
        [],
        ["Display name shortened to QQ's limit of 12 characters."],
      ],
      [
        "facebook",
        { displayName: "A name that is far too long for QQ", signature: "short" },
        [{ field: "mood", reason: "not_synced" }],
        [],
      ],
    ]);
    expect(preview.every((p) => p.avatar === null)).toBe(true);
  });
});
