/**
 * A worker's slot is freed when its job's lease is lost, even if the vendor call never returns and
 * ignores the abort: the other accounts' jobs go on. (A model run that was "not quiet" for minutes
 * looked like every slot held by such calls.)
 */
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { fakeConnectors } from "../../test/fake-connectors";
import type { TConnectorResolver } from "../connectors/registry";
import { createKeyring } from "../crypto/secrets";
import { updateProfile } from "../profile/update";
import { unlinkAccount } from "../registration/accounts";
import { linkAccount } from "../registration/link";
import { createWorker } from "./worker";

const { db, url: databaseUrl } = await setupTestDb();
const keyring = createKeyring(`k1:${randomBytes(32).toString("base64")}`, undefined);
const base = fakeConnectors();
let applying = 0;
/** MSN's writes never come back, whatever their signal says; the other networks answer at once. */
const connectors: TConnectorResolver = (networkId) => {
  const connector = base(networkId);
  if (networkId !== "msn" || !connector) return connector;
  return {
    ...connector,
    client: (context) => ({
      ...connector.client(context),
      apply: () => {
        applying++;
        return new Promise(() => {});
      },
    }),
  };
};
const worker = createWorker({ db, databaseUrl, connectors, keyring, concurrency: 1, leaseMs: 1_000, retryBaseMs: 20 });
await worker.start();
afterAll(() => worker.stop());

describe("a worker slot", () => {
  it("is freed when its job's lease is lost, though the vendor call never returns", async () => {
    const user = await db.user.create({ data: { email: "slot@example.com", passwordHash: "x" } });
    await updateProfile(db, { userId: user.id, changes: { signature: "S1" }, source: "portal" });
    const deps = { db, connectors, keyring };
    const msn = await linkAccount(deps, user.id, { networkId: "msn", login: "hang@msn.example", secret: "pw" });
    // The worker's one slot is now in MSN's write, which never ends.
    await expect.poll(() => applying, { timeout: 10_000 }).toBeGreaterThan(0);
    await linkAccount(deps, user.id, { networkId: "qq", login: "31415", secret: "pw" });
    // Unlinked, the MSN job's lease cannot be renewed: it is aborted, and the slot goes to QQ's job.
    await unlinkAccount(db, user.id, msn.id);
    const qq = base("qq")!.client({ credentials: { login: "31415", secret: "pw" }, saveCredentials: async () => {} });
    await expect.poll(async () => (await qq.read()).signature, { timeout: 15_000 }).toBe("S1");
  });
});
