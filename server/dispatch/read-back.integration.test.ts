import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { fakeConnectors, overrideClients } from "../../test/fake-connectors";
import { ConnectorError } from "../connectors/types";
import { createKeyring } from "../crypto/secrets";
import { linkAccount } from "../registration/link";
import { requestReadBack } from "./queue";
import { createWorker } from "./worker";

const { db, url: databaseUrl } = await setupTestDb();
const keyring = createKeyring(`k1:${randomBytes(32).toString("base64")}`, undefined);
/** Logins whose password the network no longer accepts (revoked, changed elsewhere). */
const refused = new Set<string>();
const connectors = overrideClients(fakeConnectors(), (client, context) => ({
  async read(signal) {
    if (refused.has(context.credentials.login)) throw new ConnectorError("auth", "Invalid password");
    return client.read(signal);
  },
}));
const worker = createWorker({
  db,
  databaseUrl,
  connectors,
  keyring,
  concurrency: 2,
  leaseMs: 10_000,
  retryBaseMs: 20,
  sweepMs: 100,
});
await worker.start();
afterAll(() => worker.stop());

describe("a read-back", () => {
  it("marks the account as needing a new sign-in when the network refuses its password", async () => {
    const { id: userId } = await db.user.create({ data: { email: "readback@example.com", passwordHash: "x" } });
    const deps = { db, connectors, keyring };
    const kept = await linkAccount(deps, userId, { networkId: "qq", login: "10001", secret: "pw" });
    const revoked = await linkAccount(deps, userId, { networkId: "msn", login: "rb@hotmail.com", secret: "pw" });
    refused.add("rb@hotmail.com");
    await requestReadBack(db, [
      { userId, accountId: kept.id },
      { userId, accountId: revoked.id },
    ]);
    await expect
      .poll(async () => (await db.linkedAccount.findUniqueOrThrow({ where: { id: revoked.id } })).status, {
        timeout: 20_000,
      })
      .toBe("NEEDS_REAUTH");
    expect((await db.linkedAccount.findUniqueOrThrow({ where: { id: kept.id } })).status).toBe("ACTIVE");
  });
});
