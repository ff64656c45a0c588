/**
 * The admin router's guards, walked from the router object itself, so a procedure added later
 * cannot slip in unprotected: a signed-out caller gets UNAUTHORIZED and a normal user FORBIDDEN
 * from every one of them. And no admin response ever carries credential material.
 */
import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import type { Session } from "next-auth";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { setupEngineHarness } from "../../../../test/engine-harness";
import { createCaller } from "../../root";
import { updateProfile } from "../../../profile/update";
import { adminRouter } from "./router";

const { db, sandbox, keyring, connectors, admin, quiesce, personWith, deadLetter } = await setupEngineHarness();

type TCall = (input: unknown) => Promise<unknown>;
function adminCalls(session: Session | null): Record<string, TCall> {
  const caller = createCaller({ db, connectors, keyring, session, headers: new Headers() });
  return caller.admin as unknown as Record<string, TCall>;
}
const sessionOf = (user: { id: string; email: string; role: "USER" | "ADMIN" }): Session => ({
  user,
  expires: "2999-01-01T00:00:00Z",
});
const procedures = Object.entries(adminRouter._def.procedures as Record<string, { _def: { type: string } }>);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return (error as TRPCError).code;
}

describe("every admin procedure", () => {
  it("is walked: the router has the procedures the pages use", () => {
    expect(procedures.map(([name]) => name)).toEqual(
      expect.arrayContaining(["access", "users", "user", "audit", "networks", "setNetworkEnabled", "retryDelivery"]),
    );
  });

  it.each(procedures.map(([name, procedure]) => [name, procedure._def.type]))(
    "%s (%s): UNAUTHORIZED signed out, FORBIDDEN for a normal user, whatever the input",
    async (name) => {
      const user = await db.user.create({
        data: { email: `n-${randomBytes(4).toString("hex")}@example.com`, passwordHash: "x" },
      });
      for (const input of [undefined, {}, { userId: admin.id, reason: "x".repeat(10) }]) {
        expect(await codeOf(adminCalls(null)[name]!(input))).toBe("UNAUTHORIZED");
        expect(await codeOf(adminCalls(sessionOf({ ...user, role: "USER" }))[name]!(input))).toBe("FORBIDDEN");
      }
      // A session that still says ADMIN after a demotion is refused too: the role is read from the database.
      expect(await codeOf(adminCalls(sessionOf({ ...user, role: "ADMIN" }))[name]!({}))).toBe("FORBIDDEN");
    },
  );
});

describe("admin responses", () => {
  it("never contain credential material, not even a fragment", async () => {
    const { userId, email, accounts } = await personWith(["qq", "msn"]);
    await deadLetter(accounts.qq!.id, "qq", () =>
      updateProfile(db, { userId, changes: { signature: "s" }, source: "portal" }).then(() => {}),
    );
    await sandbox.clearFaults();
    await quiesce(userId);
    const rows = await db.linkedAccount.findMany({ where: { userId }, select: { credentials: true } });
    const secrets = [
      ...Object.values(accounts).map((account) => account.password),
      ...rows.map((row) => row.credentials),
      // A fragment of the envelope: its base64 body.
      ...rows.map((row) => row.credentials.slice(-24)),
    ];
    const calls = adminCalls(sessionOf({ id: admin.id, email: admin.email, role: "ADMIN" }));
    /** An input for each query; a query added without one fails here, so it is checked too. */
    const INPUTS: Record<string, unknown> = {
      access: undefined,
      users: { query: email.slice(0, 4) },
      user: { userId },
      audit: { subjectId: userId },
      networks: undefined,
      deliveries: { userId },
      dashboard: { range: "hour" },
    };
    const queries = procedures.filter(([, procedure]) => procedure._def.type === "query").map(([name]) => name);
    for (const name of queries) {
      expect(Object.keys(INPUTS), `an input for admin.${name}`).toContain(name);
      const text = JSON.stringify(superjson.serialize(await calls[name]!(INPUTS[name])));
      for (const secret of secrets) expect(text, `admin.${name}`).not.toContain(secret);
    }
    // The pages really show this person's accounts and their failed delivery (the check is not vacuous).
    const detail = JSON.stringify(superjson.serialize(await calls.user!({ userId })));
    expect(detail).toContain(accounts.qq!.login);
    expect(detail).toContain("FAILED");
  });
});
