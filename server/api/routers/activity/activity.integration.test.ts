/** Activity shows what is within the retention period (DELIVERY_RETENTION_DAYS, 90 by default). */
import { randomBytes } from "node:crypto";
import type { Session } from "next-auth";
import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../../../test/database";
import { fakeConnectors } from "../../../../test/fake-connectors";
import { createKeyring } from "../../../crypto/secrets";
import { createCaller } from "../../root";

const { db } = await setupTestDb();

describe("activity.list", () => {
  it("lists updates of the retention period, and an older one only while a delivery of it is kept", async () => {
    const user = await db.user.create({
      data: { email: `a-${randomBytes(4).toString("hex")}@example.com`, passwordHash: "x" },
    });
    const account = await db.linkedAccount.create({
      data: {
        userId: user.id,
        networkId: "qq",
        login: "4242",
        credentials: "sealed",
        credentialsKeyId: "k1",
        verifiedAt: new Date(),
      },
    });
    const revision = async (version: number, daysAgo: number) =>
      db.profileRevision.create({
        data: {
          userId: user.id,
          version,
          source: "portal",
          signature: `v${version}`,
          changedFields: ["signature"],
          createdAt: new Date(Date.now() - daysAgo * 24 * 60 * 60_000),
        },
      });
    await revision(1, 120); // its deliveries were removed by the cleanup job
    const reopened = await revision(2, 100); // a delivery made for it when the account was linked again
    await revision(3, 10);
    await db.delivery.create({
      data: {
        revisionId: reopened.id,
        userId: user.id,
        linkedAccountId: account.id,
        networkId: "qq",
        version: 2,
        fields: ["signature"],
        settings: {},
      },
    });
    const session: Session = {
      user: { id: user.id, email: user.email, role: "USER" },
      expires: "2999-01-01T00:00:00Z",
    };
    const caller = createCaller({
      db,
      connectors: fakeConnectors(),
      keyring: createKeyring(`k1:${randomBytes(32).toString("base64")}`, undefined),
      session,
      headers: new Headers(),
    });

    const updates = await caller.activity.list({ limit: 20 });

    expect(updates.map((update) => update.version)).toEqual([3, 2]);
  });
});
