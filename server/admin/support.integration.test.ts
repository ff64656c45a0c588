/**
 * Support staff's actions end to end (issue 17): the admin procedures, on the real sandbox vendor
 * process, its webhooks and a worker; each action changes what the accounts show, and writes its
 * audit entry with the reason.
 */
import type { Session } from "next-auth";
import { describe, expect, it } from "vitest";
import { setupEngineHarness } from "../../test/engine-harness";
import { createCaller } from "../api/root";
import { updateProfile } from "../profile/update";
import { unlinkAccount } from "../registration/accounts";
import { linkAccount } from "../registration/link";

const { db, sandbox, keyring, connectors, worker, admin, quiesce, personWith, shown, profileOf, deadLetter } =
  await setupEngineHarness();

function callerFor(user: { id: string; email: string; role: "USER" | "ADMIN" }) {
  const session: Session = { user, expires: "2999-01-01T00:00:00Z" };
  return createCaller({ db, connectors, keyring, session, headers: new Headers() });
}
const support = callerFor({ id: admin.id, email: admin.email, role: "ADMIN" });

async function auditOf(targetId: string) {
  return db.auditEvent.findMany({ where: { targetId }, orderBy: { createdAt: "asc" } });
}

describe("support actions", () => {
  it("retries a failed delivery once the fault is cleared: delivered, audited with the reason", async () => {
    const { userId, email, accounts } = await personWith(["qq", "msn"]);
    await deadLetter(accounts.qq!.id, "qq", () =>
      updateProfile(db, { userId, changes: { signature: "after the outage" }, source: "portal" }).then(() => {}),
    );
    const failed = await db.delivery.findFirstOrThrow({ where: { linkedAccountId: accounts.qq!.id, state: "FAILED" } });
    const detail = await support.admin.user({ userId });
    const qqChange = detail.changes[0]!.deliveries.find((delivery) => delivery.networkId === "qq")!;
    expect(qqChange).toMatchObject({ state: "FAILED", id: failed.id });
    expect(qqChange.lastError).toBeTruthy();
    expect(detail.accounts.find((account) => account.networkId === "qq")!.failedDeliveries).toBe(1);

    await sandbox.clearFaults();
    await support.admin.retryDelivery({ deliveryId: failed.id, reason: "QQ is back up" });
    await quiesce(userId);
    expect((await shown("qq", accounts)).signature).toBe("after the outage");
    expect((await db.delivery.findUniqueOrThrow({ where: { id: failed.id } })).state).toBe("DELIVERED");
    const [entry] = await auditOf(failed.id);
    expect(entry).toMatchObject({
      actorId: admin.id,
      subjectId: userId,
      action: "admin.delivery.retry",
      targetType: "delivery",
    });
    expect(entry!.details).toMatchObject({ reason: "QQ is back up", networkId: "qq" });
    // The audit page finds it by the person's email.
    const page = await support.admin.audit({ email: email.toUpperCase().slice(0, 6) });
    expect(page.rows.map((row) => row.action)).toContain("admin.delivery.retry");
  });

  it("retries a value the network refused for good, once the network accepts it again", async () => {
    const { userId, accounts } = await personWith(["qq", "msn"]);
    await sandbox.setWordFilter("qq", ["forbidden"]);
    await updateProfile(db, { userId, changes: { signature: "a forbidden word" }, source: "portal" });
    await quiesce(userId);
    const failed = await db.delivery.findFirstOrThrow({ where: { linkedAccountId: accounts.qq!.id, state: "FAILED" } });
    expect(failed.lastError).toMatch(/QQ refused the signature/);
    // Refused for good: nothing more is sent by itself.
    expect((await shown("qq", accounts)).signature).not.toBe("a forbidden word");

    await sandbox.setWordFilter("qq", []);
    await support.admin.retryDelivery({ deliveryId: failed.id, reason: "QQ lifted its filter" });
    await quiesce(userId);
    expect((await shown("qq", accounts)).signature).toBe("a forbidden word");
    expect((await db.delivery.findUniqueOrThrow({ where: { id: failed.id } })).state).toBe("DELIVERED");
  });

  it("refuses to retry what is not failed, or an account that cannot be sent to, and writes nothing", async () => {
    const { userId, accounts } = await personWith(["qq", "msn"]);
    const delivered = await db.delivery.findFirst({ where: { userId, state: "DELIVERED" } });
    if (delivered) {
      await expect(support.admin.retryDelivery({ deliveryId: delivered.id, reason: "why not" })).rejects.toMatchObject({
        code: "PRECONDITION_FAILED",
      });
    }
    await expect(support.admin.retryFailed({ userId, reason: "just in case" })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: "This person has no failed deliveries.",
    });
    await expect(
      support.admin.retryDelivery({ deliveryId: accounts.qq!.id, reason: "wrong id" }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(support.admin.resendProfile({ accountId: accounts.qq!.id, reason: "" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    expect(await db.auditEvent.count({ where: { subjectId: userId, action: { startsWith: "admin." } } })).toBe(0);
  });

  it("retries every failed delivery of a person at once", async () => {
    const { userId, accounts } = await personWith(["qq", "msn", "fetion"]);
    await sandbox.setFaults("msn", { isDown: true });
    await deadLetter(accounts.qq!.id, "qq", () =>
      updateProfile(db, { userId, changes: { displayName: "Grace" }, source: "portal" }).then(() => {}),
    );
    await expect
      .poll(
        async () => {
          await worker.drain();
          return db.delivery.count({ where: { userId, state: "FAILED" } });
        },
        { timeout: 30_000, interval: 20 },
      )
      .toBe(2);
    await sandbox.clearFaults();
    await expect(support.admin.retryFailed({ userId, reason: "both networks recovered" })).resolves.toEqual({
      accounts: 2,
      skipped: [],
    });
    await quiesce(userId);
    for (const network of ["qq", "msn", "fetion"] as const)
      expect((await shown(network, accounts)).displayName).toBe("Grace");
    const [entry] = await db.auditEvent.findMany({
      where: { subjectId: userId, action: "admin.deliveries.retry_failed" },
    });
    expect(entry!.details).toMatchObject({ reason: "both networks recovered" });
  });

  it("pauses an account: nothing sent to it, its changes recorded but not fanned out; resumed, it catches up", async () => {
    const { userId, email, accounts } = await personWith(["qq", "msn"]);
    await support.admin.setAccountPaused({
      accountId: accounts.qq!.id,
      isPaused: true,
      reason: "vendor asked us to stop",
    });
    const person = callerFor({ id: userId, email, role: "USER" });
    expect((await person.registration.accounts()).find((account) => account.id === accounts.qq!.id)!.status).toBe(
      "paused",
    );

    await updateProfile(db, { userId, changes: { signature: "while paused" }, source: "portal" });
    await quiesce(userId);
    expect((await shown("msn", accounts)).signature).toBe("while paused");
    expect((await shown("qq", accounts)).signature).not.toBe("while paused");

    // A change made inside the paused network is recorded, not fanned out.
    await sandbox.webChange("qq", accounts.qq!.login, { displayName: "Inside QQ" });
    await quiesce(userId);
    expect((await profileOf(userId)).displayName).toBe("Ada");
    expect((await shown("msn", accounts)).displayName).toBe("Ada");
    const report = await db.inboundEvent.findFirstOrThrow({
      where: { linkedAccountId: accounts.qq!.id },
      orderBy: { receivedAt: "desc" },
    });
    expect(report.processedAt).not.toBeNull();

    // The person cannot lift it: retrying is refused with a message saying why.
    const open = await db.delivery.findFirst({
      where: { linkedAccountId: accounts.qq!.id },
      orderBy: { createdAt: "desc" },
    });
    if (open?.state === "FAILED")
      await expect(person.activity.retry({ deliveryId: open.id })).rejects.toMatchObject({
        code: "PRECONDITION_FAILED",
      });
    await expect(
      support.admin.setAccountPaused({ accountId: accounts.qq!.id, isPaused: true, reason: "again" }),
    ).rejects.toMatchObject({ code: "CONFLICT" });

    await support.admin.setAccountPaused({ accountId: accounts.qq!.id, isPaused: false, reason: "vendor says go" });
    await quiesce(userId);
    const qq = await shown("qq", accounts);
    expect({ displayName: qq.displayName, signature: qq.signature }).toEqual({
      displayName: "Ada",
      signature: "while paused",
    });
    expect(
      (await auditOf(accounts.qq!.id)).map((entry) => [entry.action, (entry.details as { reason?: string }).reason]),
    ).toEqual([
      ["account.link", undefined],
      ["admin.account.pause", "vendor asked us to stop"],
      ["admin.account.resume", "vendor says go"],
    ]);
  });

  it("a pause holds across an unlink and a new link of the same login", async () => {
    const { userId, accounts } = await personWith(["qq", "msn"]);
    await support.admin.setAccountPaused({ accountId: accounts.qq!.id, isPaused: true, reason: "abuse report" });
    await unlinkAccount(db, userId, accounts.qq!.id);
    const relinked = await linkAccount({ db, connectors, keyring }, userId, {
      networkId: "qq",
      login: accounts.qq!.login,
      secret: accounts.qq!.password,
    });
    expect(relinked.status).toBe("paused");
    await updateProfile(db, { userId, changes: { signature: "after relinking" }, source: "portal" });
    await quiesce(userId);
    expect((await shown("msn", accounts)).signature).toBe("after relinking");
    expect((await shown("qq", accounts)).signature).not.toBe("after relinking");
    // Resumed, the pause is gone for good: the next link of it is not paused.
    await support.admin.setAccountPaused({ accountId: relinked.id, isPaused: false, reason: "resolved" });
    await quiesce(userId);
    expect((await shown("qq", accounts)).signature).toBe("after relinking");
    expect(await db.supportPause.count({ where: { networkId: "qq", login: accounts.qq!.login } })).toBe(0);
  });

  it("resends the current profile after a read-back: corrects what no webhook told", async () => {
    const { userId, accounts } = await personWith(["qq", "msn"], { displayName: "Ada", signature: "one" });
    const { version } = await shown("qq", accounts);
    await updateProfile(db, { userId, changes: { signature: "two" }, source: "portal" });
    await quiesce(userId);
    // QQ restores a backup: it shows "one" again, and says nothing.
    await sandbox.restore("qq", accounts.qq!.login, version);
    expect((await shown("qq", accounts)).signature).toBe("one");
    await support.admin.resendProfile({ accountId: accounts.qq!.id, reason: "person says QQ is wrong" });
    await quiesce(userId);
    expect((await shown("qq", accounts)).signature).toBe("two");
    expect((await shown("msn", accounts)).signature).toBe("two");
    expect((await profileOf(userId)).signature).toBe("two");
    const [entry] = await db.auditEvent.findMany({
      where: { targetId: accounts.qq!.id, action: "admin.account.resend" },
    });
    expect(entry!.details).toMatchObject({ reason: "person says QQ is wrong" });
  });
});

describe("the audit log", () => {
  it("is append-only: the database refuses update, delete and truncate", async () => {
    const { userId } = await personWith(["qq"]);
    const entry = await db.auditEvent.findFirstOrThrow({ where: { subjectId: userId } });
    await expect(db.auditEvent.update({ where: { id: entry.id }, data: { action: "x" } })).rejects.toThrow(
      /append-only/,
    );
    await expect(db.auditEvent.delete({ where: { id: entry.id } })).rejects.toThrow(/append-only/);
    await expect(db.$executeRawUnsafe(`TRUNCATE audit_events`)).rejects.toThrow(/append-only/);
    expect(await db.auditEvent.findUnique({ where: { id: entry.id } })).toMatchObject({ action: entry.action });
  });

  it("keeps a deleted user's history; the page says 'deleted user'", async () => {
    const { userId, email } = await personWith(["msn"]);
    const before = await db.auditEvent.count({ where: { subjectId: userId } });
    expect(before).toBeGreaterThan(0);
    await db.user.delete({ where: { id: userId } });
    expect(await db.auditEvent.count({ where: { subjectId: userId } })).toBe(before);
    const page = await support.admin.audit({ subjectId: userId });
    expect(page.rows).toHaveLength(before);
    for (const row of page.rows) expect(row).toMatchObject({ isSubjectDeleted: true, subjectEmail: null });
    expect(JSON.stringify(page)).not.toContain(email);
  });
});
