import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { fakeConnectors, overrideClients } from "../../test/fake-connectors";
import { createKeyring } from "../crypto/secrets";
import { unlinkAccount } from "../registration/accounts";
import { openCredentials } from "../registration/credentials";
import { linkAccount } from "../registration/link";
import { createClientPool } from "./clients";

const { db } = await setupTestDb();
const keyring = createKeyring(`k1:${randomBytes(32).toString("base64")}`, undefined);

describe("the worker's client pool", () => {
  it("closes the clients of accounts unlinked or needing a new sign-in, and keeps the others", async () => {
    const closed: string[] = [];
    // Each client says when it is closed.
    const connectors = overrideClients(fakeConnectors(), (_client, _context, networkId) => ({
      close: async () => void closed.push(networkId),
    }));
    const deps = { db, connectors, keyring };
    const { id: userId } = await db.user.create({ data: { email: "pool@example.com", passwordHash: "x" } });
    const logins = { qq: "10001", msn: "pool@hotmail.com", fetion: "13800138000" };
    const accounts = await Promise.all(
      Object.entries(logins).map(([networkId, login]) => linkAccount(deps, userId, { networkId, login, secret: "pw" })),
    );
    closed.length = 0; // (linking closes the client it verified with)
    const pool = createClientPool(deps);
    for (const { id } of accounts) {
      const account = await db.linkedAccount.findUniqueOrThrow({ where: { id } });
      expect(pool.clientOf(account, openCredentials(keyring, account))).not.toBeNull();
    }
    expect(await pool.releaseUnused()).toBe(0);

    await unlinkAccount(db, userId, accounts[0]!.id);
    await db.linkedAccount.update({ where: { id: accounts[1]!.id }, data: { status: "NEEDS_REAUTH" } });
    expect(await pool.releaseUnused()).toBe(2);
    expect(closed.sort()).toEqual(["msn", "qq"]);
    expect(pool.size).toBe(1);
    await pool.closeAll();
    expect(closed).toContain("fetion");
  });
});
