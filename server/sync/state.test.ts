import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  classifyReport,
  compareMarks,
  deliveryOutcome,
  forgetVersions,
  hashValue,
  mergeObserved,
  owedFields,
  PROFILE_FIELDS,
  writeKeyOf,
  type TObserved,
} from "./state";

const ALL = { avatar: true, displayName: true, signature: true, mood: true };
const h = hashValue;

describe("the echo rule", () => {
  const observed: TObserved = { signature: { v: 4, h: h("ours"), m: 10 } };
  const judge = (report: { mark: number | null; isOurWrite?: boolean; value: string }, pending: string | null = null) =>
    classifyReport({
      observed,
      pendingWrite: pending ? { signature: h(pending) } : null,
      report: { mark: report.mark, isOurWrite: report.isOurWrite ?? false, hashes: { signature: h(report.value) } },
    }).signature;

  it.each([
    ["our write's key, whatever the value", { mark: 99, isOurWrite: true, value: "anything" }, null, "echo"],
    ["a mark not newer than ours: stale", { mark: 10, value: "typed before our write" }, null, "stale"],
    ["an older mark: stale", { mark: 3, value: "old" }, null, "stale"],
    ["the value of our unconfirmed write", { mark: 11, value: "in flight" }, "in flight", "echo"],
    ["what the account already shows", { mark: 11, value: "ours" }, null, "unchanged"],
    ["a newer mark and a new value: genuine", { mark: 11, value: "typed in the network" }, null, "genuine"],
    ["no mark at all, a new value: genuine", { mark: null, value: "typed" }, null, "genuine"],
  ] as const)("%s", (_label, report, pending, verdict) => {
    expect(judge(report, pending)).toBe(verdict);
  });

  it("judges each field on its own mark: a change of another field after our write is genuine", () => {
    const verdicts = classifyReport({
      observed: { signature: { v: 4, h: h("s"), m: 10 }, displayName: { v: 2, h: h("d"), m: 5 } },
      pendingWrite: null,
      report: { mark: 7, isOurWrite: false, hashes: { signature: h("s2"), displayName: h("d2") } },
    });
    expect(verdicts).toEqual({ signature: "stale", displayName: "genuine" });
  });
});

const observedField = fc.record({
  v: fc.nat({ max: 50 }),
  h: fc.option(fc.constantFrom("a", "b", "c"), { nil: null }),
  m: fc.option(fc.nat({ max: 50 }), { nil: null }),
});
const observedArb = fc.dictionary(fc.constantFrom(...PROFILE_FIELDS), observedField) as fc.Arbitrary<TObserved>;

describe("observed state", () => {
  it("never goes backwards: merging keeps each field's version and mark at least where they were", () => {
    fc.assert(
      fc.property(observedArb, observedArb, (current, update) => {
        const merged = mergeObserved(current, update);
        for (const field of PROFILE_FIELDS) {
          const before = current[field];
          if (!before) continue;
          expect(merged[field]!.v).toBeGreaterThanOrEqual(before.v);
          expect(compareMarks(merged[field]!.m, before.m)).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });

  it("is idempotent, and ends on the same versions and marks in either order", () => {
    fc.assert(
      fc.property(observedArb, observedArb, observedArb, (base, a, b) => {
        const once = mergeObserved(base, a);
        expect(mergeObserved(once, a)).toEqual(once);
        const ab = mergeObserved(mergeObserved(base, a), b);
        const ba = mergeObserved(mergeObserved(base, b), a);
        for (const field of PROFILE_FIELDS) {
          expect(ab[field]?.v).toEqual(ba[field]?.v);
          expect(ab[field]?.m).toEqual(ba[field]?.m);
        }
      }),
    );
  });

  it("forgets versions on re-activation but keeps the marks (old reports stay stale)", () => {
    expect(forgetVersions({ mood: { v: 7, h: "x", m: 12 } })).toEqual({
      avatar: { v: -1, h: null, m: null },
      displayName: { v: -1, h: null, m: null },
      signature: { v: -1, h: null, m: null },
      mood: { v: -1, h: "x", m: 12 },
    });
  });

  it("keeps, at a new link, what the account shows of the fields the person never set", () => {
    expect(forgetVersions({ mood: { v: 7, h: "x", m: 12 } }, { isUnknown: false })).toEqual({
      mood: { v: 0, h: "x", m: 12 },
    });
  });

  it("owes, after re-activation, even the fields the person never set (model counterexample)", () => {
    const owed = owedFields({
      desired: { displayName: 3 },
      observed: forgetVersions({ displayName: { v: 3, h: null, m: null } }),
      sync: ALL,
      supported: ALL,
    });
    expect(owed).toEqual(PROFILE_FIELDS);
  });

  it("owes exactly the synced, supported fields whose desired version is newer", () => {
    const owed = owedFields({
      desired: { displayName: 3, signature: 5, mood: 2, avatar: 4 },
      observed: { displayName: { v: 3, h: null, m: null }, signature: { v: 4, h: null, m: null } },
      sync: { ...ALL, mood: false },
      supported: { ...ALL, avatar: false },
    });
    expect(owed).toEqual(["signature"]);
  });
});

describe("entries follow the observed state", () => {
  const entry = { fields: ["signature", "mood"] as const, versions: { signature: 5, mood: 5, displayName: 2 } };
  it.each([
    ["open while any field is behind", { signature: 5, mood: 4 }, "open"],
    ["delivered when it shows this change", { signature: 5, mood: 5 }, "delivered"],
    ["delivered when one field shows it and the other a later one", { signature: 6, mood: 5 }, "delivered"],
    ["superseded when later changes of every field got there first", { signature: 6, mood: 7 }, "superseded"],
  ] as const)("%s", (_label, shown, outcome) => {
    const observed: TObserved = Object.fromEntries(
      Object.entries(shown).map(([field, v]) => [field, { v, h: null, m: null }]),
    );
    expect(deliveryOutcome(entry, observed)).toBe(outcome);
  });
});

describe("write keys and marks", () => {
  it("are the same for a retry of the same write and differ for anything newer", () => {
    const key = (epoch: number, versions: Record<string, number>) =>
      writeKeyOf({ accountId: "acc", epoch, part: "profile", versions });
    expect(key(0, { signature: 3, displayName: 2 })).toBe(key(0, { displayName: 2, signature: 3 }));
    expect(key(0, { signature: 3 })).not.toBe(key(0, { signature: 4 }));
    expect(key(0, { signature: 3 })).not.toBe(key(1, { signature: 3 }));
    expect(key(0, { signature: 3 })).toBe("oneprofile:acc:0:profile:signature=3");
  });

  it("compare numbers as numbers and timestamps as instants", () => {
    expect(compareMarks(9, 10)).toBeLessThan(0);
    expect(compareMarks("2026-11-24T10:00:00.000Z", "2026-11-24T09:59:59.999Z")).toBeGreaterThan(0);
    expect(compareMarks(null, 1)).toBeLessThan(0);
  });
});
