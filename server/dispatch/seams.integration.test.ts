/**
 * The engine's seams (issue 14): ordinary actions at the edges of the sync engine that used to
 * leave accounts disagreeing for good. Each test is one deterministic sequence on real parts —
 * Postgres, the sandbox vendor process and its webhooks (webhooks.held and delivered in the order a test
 * chooses), the worker in this process — and ends by checking that every account shows the
 * profile's value. Each failed before the change that made observed state the latest observation
 * by the vendor's mark (server/sync/state.ts); the closing note of issue 14 says how.
 */
import { describe, expect, it } from "vitest";
import { LOGINS, setupEngineHarness, type TAccounts } from "../../test/engine-harness";
import { NETWORK_DEFINITIONS, type TConnectorResolver } from "../connectors/registry";
import { updateProfile } from "../profile/update";
import { setSyncFields, unlinkAccount } from "../registration/accounts";
import { linkAccount, relinkAccount } from "../registration/link";
import { setNetworkEnabled } from "../registration/networks";
import { claimJobs, endJobs, scheduleReadBacks } from "./queue";

const {
  db,
  sandbox,
  keyring,
  connectors,
  worker,
  admin,
  webhooks,
  deliver,
  quiesce,
  personWith,
  shown,
  profileOf,
  deadLetter,
} = await setupEngineHarness();

describe("the engine's seams (issue 14)", () => {
  it("K: a report judged while the account is switched off keeps its mark; an older one after is stale", async () => {
    const { userId, accounts } = await personWith(["qq", "msn"], { displayName: "Start" });
    webhooks.isHolding = true;
    await setNetworkEnabled(db, admin.id, "qq", false);
    await sandbox.webChange("qq", accounts.qq!.login, { displayName: "A" });
    await sandbox.webChange("qq", accounts.qq!.login, { displayName: "B" });
    await expect.poll(() => webhooks.held.length).toBe(2);
    const [reportA, reportB] = webhooks.held.splice(0);
    webhooks.isHolding = false;
    expect(await deliver(reportB!)).toBe(202);
    await quiesce(userId);
    await setNetworkEnabled(db, admin.id, "qq", true);
    expect(await deliver(reportA!)).toBe(202);
    await quiesce(userId);
    // Before: the profile said "A" (A's late report was taken), QQ showed "B".
    const profile = await profileOf(userId);
    expect((await shown("qq", accounts)).displayName).toBe(profile.displayName);
    expect((await shown("msn", accounts)).displayName).toBe(profile.displayName);
    const outcomes = await db.inboundEvent.findMany({
      where: { login: accounts.qq!.login, outcome: { not: "echo" } },
      orderBy: { receivedAt: "asc" },
      select: { outcome: true },
    });
    expect(outcomes.map((event) => event.outcome)).toEqual(["ignored", "stale"]);
  });

  it("A: a dead-lettered write that never landed does not win over a change made inside the network since", async () => {
    const { userId, accounts } = await personWith(["qq", "msn"], { displayName: "P1" });
    await deadLetter(accounts.qq!.id, "qq", () =>
      updateProfile(db, { userId, changes: { displayName: "P2" }, source: "portal" }).then(() => {}),
    );
    // Typed in QQ's own page (its web works while its API is down): a genuine change, fanned out.
    await sandbox.webChange("qq", accounts.qq!.login, { displayName: "X" });
    await quiesce(userId);
    expect((await profileOf(userId)).displayName).toBe("X");
    await sandbox.clearFaults();
    // Any later save brings the dead job back; it sends its stored write first.
    await updateProfile(db, { userId, changes: { signature: "later" }, source: "portal" });
    await quiesce(userId);
    // Before: QQ showed "P2" while the profile and MSN showed "X", and QQ was believed to show "X".
    expect((await shown("qq", accounts)).displayName).toBe("X");
    expect((await shown("msn", accounts)).displayName).toBe("X");
    expect((await shown("qq", accounts)).signature).toBe("later");
  });

  it("C: a value refused from a network is put back with a new write, not a replay of the first one", async () => {
    const { userId, accounts } = await personWith(["facebook", "qq"], { displayName: "Ada" });
    // The mood alone is delivered to Facebook: one write, its key derived from what it sent.
    await updateProfile(db, { userId, changes: { mood: "happy" }, source: "portal" });
    await quiesce(userId);
    expect((await shown("facebook", accounts)).mood).toBe("happy");
    // Facebook's own "blessed": OneProfile has no such mood, so it is refused and Facebook put back.
    await sandbox.webChange("facebook", accounts.facebook!.login, { mood: "blessed" });
    await quiesce(userId);
    // Before: the resend derived the same key and body as the first write; Facebook replayed its
    // stored answer and kept "blessed", while OneProfile recorded it delivered.
    expect((await shown("facebook", accounts)).mood).toBe("happy");
    expect((await profileOf(userId)).mood).toBe("happy");
    const event = await db.inboundEvent.findFirstOrThrow({
      where: { login: accounts.facebook!.login, outcome: { not: "echo" } },
    });
    expect(event.outcome).toBe("rejected");
    expect(event.note).toMatch(/“blessed” has no equivalent in OneProfile/);
  });

  it("B: a refused value in a field the person never set is put back too", async () => {
    const { userId, accounts } = await personWith(["facebook", "qq"], { displayName: "Ada" });
    await sandbox.webChange("facebook", accounts.facebook!.login, { mood: "blessed" });
    await quiesce(userId);
    // Before: stored as version 0, owed nothing; Facebook kept "blessed" while the others showed no mood.
    expect((await shown("facebook", accounts)).mood).toBeNull();
    expect((await shown("qq", accounts)).mood).toBeNull();
    expect((await profileOf(userId)).mood).toBeNull();
  });

  it("E1: a mood changed alone inside a network without mood text keeps the profile's mood text", async () => {
    const { userId, accounts } = await personWith(["msn", "qq"], {
      displayName: "Ada",
      mood: "happy",
      moodText: "at work",
    });
    await sandbox.webChange("msn", accounts.msn!.login, { mood: "sad" });
    await quiesce(userId);
    // Before: the mood text became "" on the portal and on QQ.
    expect(await profileOf(userId)).toMatchObject({ mood: "sad", moodText: "at work" });
    expect(await shown("qq", accounts)).toMatchObject({ mood: "😢", moodText: "at work" });
  });

  it("E2: mood text changed alone where the mood shows as a fallback keeps the profile's mood", async () => {
    const { userId, accounts } = await personWith(["facebook", "qq"], {
      displayName: "Ada",
      mood: "cool",
      moodText: "x",
    });
    expect((await shown("facebook", accounts)).mood).toBe("happy");
    await sandbox.webChange("facebook", accounts.facebook!.login, { moodText: "lunch" });
    await quiesce(userId);
    // Before: the mood became Facebook's fallback "happy" everywhere.
    expect(await profileOf(userId)).toMatchObject({ mood: "cool", moodText: "lunch" });
    expect(await shown("qq", accounts)).toMatchObject({ mood: "😎", moodText: "lunch" });
    expect(await shown("facebook", accounts)).toMatchObject({ mood: "happy", moodText: "lunch" });
  });

  it("E3: a mood text cut to a network's limit does not travel back when the mood changes there", async () => {
    const long = "a mood text of thirty letters";
    const { userId, accounts } = await personWith(["qq", "facebook"], {
      displayName: "Ada",
      mood: "happy",
      moodText: long,
    });
    expect((await shown("qq", accounts)).moodText).not.toBe(long);
    await sandbox.webChange("qq", accounts.qq!.login, { mood: "😢" });
    await quiesce(userId);
    // Before: QQ's cut copy of the mood text came back with its mood and replaced the whole one.
    expect(await profileOf(userId)).toMatchObject({ mood: "sad", moodText: long });
    expect(await shown("facebook", accounts)).toMatchObject({ mood: "sad", moodText: long });
  });

  it("G: a vendor restored to an earlier version is read back and sent the profile again", async () => {
    const { userId, accounts } = await personWith(["qq", "msn"], { displayName: "Ada" });
    await updateProfile(db, { userId, changes: { signature: "one", displayName: "Ada L." }, source: "portal" });
    await quiesce(userId);
    await sandbox.restore("qq", accounts.qq!.login, 1);
    // A change made there after the restore has a version lower than the one seen for that field:
    // its report is stale, as any late webhook's. QQ and the profile now disagree.
    await sandbox.webChange("qq", accounts.qq!.login, { signature: "after the restore" });
    await quiesce(userId);
    expect((await profileOf(userId)).signature).toBe("one");
    expect((await shown("qq", accounts)).signature).toBe("after the restore");
    // The periodic read-back (every network's interval, here capped at a millisecond) finds the reset.
    expect(
      await scheduleReadBacks(db, {
        everyMsOf: new Map(NETWORK_DEFINITIONS.map((definition) => [definition.id, definition.readBackEveryMs])),
        maxEveryMs: 1,
        limit: 1000,
      }),
    ).toBeGreaterThan(0);
    await quiesce(userId);
    // Before: nothing read the vendor back; QQ kept its restored values for good.
    expect(await shown("qq", accounts)).toMatchObject({ displayName: "Ada L.", signature: "one" });
    expect(await shown("msn", accounts)).toMatchObject({ displayName: "Ada L.", signature: "one" });
    expect(await profileOf(userId)).toMatchObject({ displayName: "Ada L.", signature: "one" });
  });

  it("D: a field an account does not sync is never taken from it", async () => {
    const { userId, accounts } = await personWith(["qq", "msn"], { displayName: "Ada", signature: "portal" });
    await setSyncFields(db, userId, accounts.qq!.id, { signature: false });
    await sandbox.webChange("qq", accounts.qq!.login, { signature: "typed in QQ" });
    await quiesce(userId);
    // Before: QQ's signature replaced the portal's and MSN's.
    expect((await profileOf(userId)).signature).toBe("portal");
    expect((await shown("msn", accounts)).signature).toBe("portal");
    expect((await shown("qq", accounts)).signature).toBe("typed in QQ");
    const event = await db.inboundEvent.findFirstOrThrow({
      where: { login: accounts.qq!.login, outcome: { not: "echo" } },
    });
    expect(event).toMatchObject({ outcome: "ignored", note: "signature: not synced" });
    // Switched on again, the account is sent the profile's value.
    await setSyncFields(db, userId, accounts.qq!.id, { signature: true });
    await quiesce(userId);
    expect((await shown("qq", accounts)).signature).toBe("portal");
  });

  it("F: a change made inside the network while it is being linked is taken, not lost", async () => {
    let userId = "";
    let accounts: TAccounts = {};
    // The person types in QQ between the vendor's check and the link's commit; the change's webhook
    // finds no linked account yet.
    const typingDuringLink: TConnectorResolver = (networkId) => {
      const connector = connectors(networkId);
      return (
        connector && {
          ...connector,
          client(context) {
            const client = connector.client(context);
            const { login } = context.credentials;
            return {
              ...client,
              async verify(signal) {
                const profile = await client.verify(signal);
                await sandbox.webChange("qq", login, { displayName: "Mid-link" });
                await expect.poll(() => db.inboundEvent.count({ where: { login, outcome: "ignored" } })).toBe(1);
                return profile;
              },
            };
          },
        }
      );
    };
    ({ userId, accounts } = await personWith(["qq"], { displayName: "Portal" }, typingDuringLink));
    const msn = LOGINS.msn();
    await sandbox.createAccount("msn", msn, "pw-msn");
    await linkAccount({ db, connectors, keyring }, userId, { networkId: "msn", login: msn, secret: "pw-msn" });
    accounts.msn = { id: "", login: msn, password: "pw-msn" };
    await quiesce(userId);
    // Before: the link recorded the older value verify returned, and QQ was sent "Portal".
    expect((await profileOf(userId)).displayName).toBe("Mid-link");
    expect((await shown("qq", accounts)).displayName).toBe("Mid-link");
    expect((await shown("msn", accounts)).displayName).toBe("Mid-link");
  });

  it("a write refused for good is dropped; the other fields still go, and Activity says why", async () => {
    const { userId, accounts } = await personWith(["qq", "msn"], { displayName: "Ada" });
    await sandbox.setWordFilter("qq", ["darn"]);
    await updateProfile(db, { userId, changes: { signature: "darn it", displayName: "Ada B." }, source: "portal" });
    await quiesce(userId);
    expect(await shown("qq", accounts)).toMatchObject({ displayName: "Ada B.", signature: "" });
    expect((await shown("msn", accounts)).signature).toBe("darn it");
    const entry = await db.delivery.findFirstOrThrow({
      where: { linkedAccountId: accounts.qq!.id, fields: { has: "signature" } },
      orderBy: { version: "desc" },
    });
    expect(entry.state).toBe("FAILED");
    expect(entry.lastError).toMatch(/QQ refused the signature: signature contains a word QQ does not allow/);
    // Before: the refused write stayed unconfirmed and was sent first on every later run.
    await updateProfile(db, { userId, changes: { displayName: "Ada C." }, source: "portal" });
    await quiesce(userId);
    expect((await shown("qq", accounts)).displayName).toBe("Ada C.");
    // Not sent again until the person's value changes; then it is.
    await sandbox.setWordFilter("qq", []);
    await updateProfile(db, { userId, changes: { signature: "fine now" }, source: "portal" });
    await quiesce(userId);
    expect((await shown("qq", accounts)).signature).toBe("fine now");
  });

  it("unlinking ends the account's queued reports instead of leaving them unprocessed", async () => {
    const { userId, accounts } = await personWith(["qq", "msn"], { displayName: "Ada" });
    await sandbox.webChange("qq", accounts.qq!.login, { signature: "queued" });
    const queued = { login: accounts.qq!.login, processedAt: null };
    await expect.poll(() => db.inboundEvent.count({ where: queued })).toBe(1);
    const { id } = await db.inboundEvent.findFirstOrThrow({ where: queued });
    await unlinkAccount(db, userId, accounts.qq!.id);
    const event = await db.inboundEvent.findUniqueOrThrow({ where: { id } });
    // Before: its job went with the account (cascade) and the event stayed unprocessed for ever.
    expect(event).toMatchObject({ outcome: "ignored", note: "The account was unlinked." });
    expect(event.processedAt).not.toBeNull();
  });

  it("a person who types, inside the network, the value of a stuck write keeps that change", async () => {
    const { userId, accounts } = await personWith(["qq", "msn"], { displayName: "P0" });
    await deadLetter(accounts.qq!.id, "qq", async () => {
      await updateProfile(db, { userId, changes: { displayName: "P1" }, source: "portal" });
      await worker.drain();
      await updateProfile(db, { userId, changes: { displayName: "P2" }, source: "portal" });
    });
    // QQ's job died holding its unconfirmed write "P1"; the person types exactly "P1" in QQ. The
    // sandbox names the key of every API write in its events, so a report without one is the
    // person's, whatever its value (before: judged our echo by content, and lost).
    await sandbox.webChange("qq", accounts.qq!.login, { displayName: "P1" });
    await quiesce(userId);
    await sandbox.clearFaults();
    await updateProfile(db, { userId, changes: { signature: "later" }, source: "portal" });
    await quiesce(userId);
    expect((await profileOf(userId)).displayName).toBe("P1");
    expect((await shown("qq", accounts)).displayName).toBe("P1");
    expect((await shown("msn", accounts)).displayName).toBe("P1");
  });

  it("a report waiting out a backoff does not hold back its account's sync", async () => {
    const { userId, accounts } = await personWith(["qq"], { displayName: "Ada" });
    webhooks.isHolding = true;
    await sandbox.webChange("qq", accounts.qq!.login, { signature: "typed" });
    await expect.poll(() => webhooks.held.length).toBe(1);
    expect(await deliver(webhooks.held.pop()!)).toBe(202);
    // The report failed once and waits for its retry (a poison candidate); a save comes meanwhile.
    await db.job.updateMany({
      where: { linkedAccountId: accounts.qq!.id, kind: "inbound-event" },
      data: { attempts: 1, runAt: new Date(Date.now() + 60_000) },
    });
    await updateProfile(db, { userId, changes: { displayName: "Ada L." }, source: "portal" });
    const claimed = await claimJobs(db, 5_000, 10);
    // Before: the report, first in the account's order, kept the sync job from being claimed.
    expect(claimed.map((job) => [job.kind, job.linkedAccountId])).toContainEqual(["sync-account", accounts.qq!.id]);
    await endJobs(
      db,
      claimed.map((job) => ({ job, end: { state: "retry", delayMs: 0, error: "released by the test" } })),
    );
    await db.job.updateMany({ where: { linkedAccountId: accounts.qq!.id }, data: { runAt: new Date() } });
    await quiesce(userId);
    expect((await profileOf(userId)).signature).toBe("typed");
    expect(await shown("qq", accounts)).toMatchObject({ displayName: "Ada L.", signature: "typed" });
  });

  // Found by review after the first version of this change.
  it("a dead-lettered account brought back by a save is read back first: a change there whose report was lost is taken", async () => {
    const { userId, accounts } = await personWith(["qq", "msn"], { displayName: "P1" });
    await deadLetter(accounts.qq!.id, "qq", () =>
      updateProfile(db, { userId, changes: { displayName: "P2" }, source: "portal" }).then(() => {}),
    );
    await sandbox.clearFaults();
    webhooks.isHolding = true;
    await sandbox.webChange("qq", accounts.qq!.login, { displayName: "X" });
    await expect.poll(() => webhooks.held.length).toBe(1);
    webhooks.held.length = 0; // its webhook is lost
    webhooks.isHolding = false;
    await updateProfile(db, { userId, changes: { signature: "later" }, source: "portal" });
    await quiesce(userId);
    expect((await profileOf(userId)).displayName).toBe("X");
    expect((await shown("qq", accounts)).displayName).toBe("X");
    expect((await shown("msn", accounts)).displayName).toBe("X");
  });

  it("re-linking does not swallow a change made in the network whose report is still on its way", async () => {
    const { userId, accounts } = await personWith(["qq", "msn"], { displayName: "Ada", signature: "portal" });
    webhooks.isHolding = true;
    await sandbox.webChange("qq", accounts.qq!.login, { signature: "typed" });
    await expect.poll(() => webhooks.held.length).toBe(1);
    await sandbox.setPassword("qq", accounts.qq!.login, "a-new-password");
    await relinkAccount({ db, connectors, keyring }, userId, accounts.qq!.id, "a-new-password");
    webhooks.isHolding = false;
    expect(await deliver(webhooks.held.pop()!)).toBe(202);
    await quiesce(userId);
    expect((await profileOf(userId)).signature).toBe("typed");
    expect((await shown("qq", accounts)).signature).toBe("typed");
    expect((await shown("msn", accounts)).signature).toBe("typed");
  });

  it("a field switched off is not sent by a write left unconfirmed before", async () => {
    const { userId, accounts } = await personWith(["qq", "msn"], { displayName: "Ada", signature: "s1" });
    await sandbox.setFaults("qq", { isDown: true });
    await updateProfile(db, { userId, changes: { signature: "s2" }, source: "portal" });
    await expect
      .poll(async () => {
        await worker.runOne();
        return (await db.linkedAccount.findUniqueOrThrow({ where: { id: accounts.qq!.id } })).pendingWrite;
      })
      .not.toBeNull();
    await setSyncFields(db, userId, accounts.qq!.id, { signature: false });
    await sandbox.webChange("qq", accounts.qq!.login, { signature: "mine" });
    await sandbox.clearFaults();
    await quiesce(userId);
    expect((await shown("qq", accounts)).signature).toBe("mine");
    expect((await shown("msn", accounts)).signature).toBe("s2");
    expect((await profileOf(userId)).signature).toBe("s2");
  });
});
