import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compareMarks,
  deliveryOutcome,
  desiredFieldsOf,
  fieldVersionsAfter,
  hashesOf,
  hashValue,
  isNewerMark,
  isOlderMark,
  isOwed,
  judgeReport,
  moodHash,
  moodParts,
  observe,
  owedFields,
  PROFILE_FIELDS,
  raiseShown,
  refusalReason,
  refuseWrite,
  writeBasis,
  writeKeyOf,
  type TDesiredFields,
  type TFieldHashes,
  type TObserved,
  type TObservedField,
} from "./state";

const ALL = { avatar: true, displayName: true, signature: true, mood: true };
const h = hashValue;
const field = (hash: string | null, m: number | string | null, v = 0, extra: Partial<TObservedField> = {}) => ({
  h: hash,
  m,
  v,
  ...extra,
});
const desiredOf = (entries: Partial<Record<keyof typeof ALL, [string | null, number]>>): TDesiredFields => {
  const desired = {} as TDesiredFields;
  for (const name of PROFILE_FIELDS) {
    const [hash, version] = entries[name] ?? [null, 0];
    desired[name] = { hash, version };
  }
  return desired;
};

describe("hashes", () => {
  it("hash a mood in two parts, its word's and its text's, so each can be judged apart", () => {
    const hash = moodHash("happy", "at work");
    expect(moodParts(hash)).toEqual({ word: h("happy"), text: h("at work") });
    expect(moodHash("happy", undefined)).toBe(moodHash("happy", ""));
    expect(moodHash(null, "")).not.toBe(moodHash("", ""));
    expect(moodParts(h("x"))).toBeNull();
    expect(moodParts(null)).toBeNull();
    expect(moodParts("a.b.c")).toBeNull();
  });

  it("hash only the fields a draft has; a mood with or without its text", () => {
    expect(hashesOf({})).toEqual({});
    expect(hashesOf({ signature: "s", avatarSha256: null })).toEqual({ signature: h("s"), avatar: h(null) });
    expect(hashesOf({ displayName: "d" })).toEqual({ displayName: h("d") });
    expect(hashesOf({ moodText: "t" })).toEqual({ mood: moodHash(undefined, "t") });
    expect(hashesOf({ mood: null })).toEqual({ mood: moodHash(null, "") });
    expect(hashValue(null)).toBe(hashValue(undefined));
    expect(hashValue("")).not.toBe(hashValue(null));
  });

  it("make the desired fields of a mapping, with the person's field versions (0: never set)", () => {
    const desired = desiredFieldsOf({ signature: "s", mood: "happy", moodText: "" }, { signature: 4 });
    expect(desired.signature).toEqual({ hash: h("s"), version: 4 });
    expect(desired.mood).toEqual({ hash: moodHash("happy", ""), version: 0 });
    expect(desired.displayName).toEqual({ hash: null, version: 0 });
    expect(fieldVersionsAfter({ mood: 1 }, ["signature"], 5)).toEqual({ mood: 1, signature: 5 });
  });
});

describe("marks", () => {
  it.each([
    [9, 10, -1],
    [10, 10, 0],
    [11, 10, 1],
    ["2026-11-24T10:00:00.000Z", "2026-11-24T09:59:59.999Z", 1],
    ["2026-11-24T09:00:00.000Z", "2026-11-24T09:59:59.999Z", -1],
    ["bafy-a", "bafy-a", 0],
    ["bafy-a", "bafy-b", null],
    ["2026-11-24T10:00:00.000Z", "bafy-b", null],
    [3, "3", null],
    [null, null, 0],
    [null, 1, null],
  ] as const)("compare %j with %j: %j", (a, b, order) => {
    expect(compareMarks(a, b)).toBe(order);
  });

  it("say what is newer and older; an unordered or missing mark is never older, always newer", () => {
    expect(isNewerMark(11, 10)).toBe(true);
    expect(isNewerMark(10, 10)).toBe(false);
    expect(isNewerMark(9, 10)).toBe(false);
    expect(isNewerMark(1, undefined)).toBe(true);
    expect(isNewerMark(1, null)).toBe(true);
    expect(isNewerMark(null, 5)).toBe(true);
    expect(isNewerMark("cid-2", "cid-1")).toBe(true);
    expect(isNewerMark("cid-1", "cid-1")).toBe(false);
    expect(isOlderMark(9, 10)).toBe(true);
    expect(isOlderMark(10, 10)).toBe(false);
    expect(isOlderMark(11, 10)).toBe(false);
    expect(isOlderMark(9, null)).toBe(false);
    expect(isOlderMark(9, undefined)).toBe(false);
    expect(isOlderMark(null, 10)).toBe(false);
    expect(isOlderMark("cid-1", "cid-2")).toBe(false);
  });
});

describe("what an account owes: values, not versions", () => {
  const set = { hash: h("profile"), version: 3 };
  const unset = { hash: h(""), version: 0 };
  it.each([
    ["a set value it does not show", set, field(h("other"), 5), true],
    ["a set value it shows", set, field(h("profile"), 5), false],
    ["a set value it was never seen to show", set, undefined, true],
    ["a set value of unknown observation", set, field(null, 5), true],
    [
      "a value it refused for good, at this version",
      set,
      field(h("x"), 5, 0, { r: { h: h("profile"), v: 3, why: "" } }),
      false,
    ],
    [
      "a value it refused at an earlier version (the person set it again)",
      set,
      field(h("x"), 5, 0, { r: { h: h("profile"), v: 2, why: "" } }),
      true,
    ],
    ["another value than the one it refused", set, field(h("x"), 5, 0, { r: { h: h("older"), v: 9, why: "" } }), true],
    ["nothing to send (the network cannot show it)", { hash: null, version: 3 }, field(h("x"), 1), false],
    ["a field never set, showing what it showed at link", unset, field(h("mine"), 1, 0, { t: h("mine") }), false],
    [
      "a field never set, showing something else since (not taken)",
      unset,
      field(h("blessed"), 2, 0, { t: h("mine") }),
      true,
    ],
    [
      "a field never set, shown unknown (a reset): nothing owed until observed",
      unset,
      field(null, 2, 0, { t: h("mine") }),
      false,
    ],
    ["a field never set, never observed", unset, undefined, false],
    ["a field never set, seen but never left at link (from before this rule)", unset, field(h("x"), 2), true],
    ["a field never set, showing the empty value already", unset, field(h(""), 2, 0, { t: h("mine") }), false],
  ] as const)("%s", (_label, desired, shown, owed) => {
    expect(isOwed(desired, shown as TObservedField | undefined)).toBe(owed);
  });

  it("only fields the account syncs and its network supports", () => {
    const desired = desiredOf({ signature: [h("s"), 2], displayName: [h("d"), 2], mood: [h("m"), 2] });
    const observed: TObserved = {};
    expect(owedFields({ desired, observed, sync: ALL, supported: ALL })).toEqual(["displayName", "signature", "mood"]);
    expect(
      owedFields({ desired, observed, sync: { ...ALL, signature: false }, supported: { ...ALL, mood: false } }),
    ).toEqual(["displayName"]);
  });
});

describe("observations", () => {
  const before: TObserved = { signature: field(h("ours"), 10, 4), displayName: field(h("d"), 5, 2) };

  it("a report with a newer mark is taken, per field; an older or equal one is stale", () => {
    const seen = observe(before, {
      kind: "report",
      hashes: { signature: h("typed"), displayName: h("d2") },
      marks: { signature: 7, displayName: 7 },
    });
    expect(seen.isReset).toBe(false);
    expect(seen.fresh).toEqual(["displayName"]);
    expect(seen.observed.signature).toEqual(before.signature);
    expect(seen.observed.displayName).toEqual({ h: h("d2"), m: 7, v: 0 });
    expect(observe(before, { kind: "report", hashes: { signature: h("x") }, marks: { signature: 10 } }).fresh).toEqual(
      [],
    );
  });

  it("a value equal to the desired one carries its version; an unchanged one keeps its own", () => {
    const desired = desiredOf({ displayName: [h("d2"), 9] });
    const seen = observe(
      before,
      { kind: "report", hashes: { displayName: h("d2") }, marks: { displayName: 8 } },
      desired,
    );
    expect(seen.observed.displayName?.v).toBe(9);
    const same = observe(before, { kind: "report", hashes: { displayName: h("d") }, marks: { displayName: 8 } });
    expect(same.observed.displayName?.v).toBe(2);
  });

  it("an answer we asked for with a lower mark is a reset: adopted for every field", () => {
    const withRefusal: TObserved = {
      ...before,
      mood: field(h("m"), 10, 1, { r: { h: h("r"), v: 1, why: "no" }, t: h("t") }),
    };
    const seen = observe(withRefusal, {
      kind: "answer",
      hashes: { signature: h("restored"), displayName: h("d") },
      marks: { signature: 3, displayName: 3 },
    });
    expect(seen.isReset).toBe(true);
    expect(seen.fresh).toEqual(["displayName", "signature"]);
    expect(seen.observed.signature).toEqual({ h: h("restored"), m: 3, v: 0, e: 1 });
    expect(seen.observed.displayName).toEqual({ h: h("d"), m: 3, v: 2, e: 1 });
    // A field the answer did not cover is unknown now; what it refused and left at link stay.
    expect(seen.observed.mood).toEqual({ h: null, m: 3, v: 0, r: { h: h("r"), v: 1, why: "no" }, t: h("t"), e: 1 });
    expect(seen.observed.avatar).toEqual({ h: null, m: 3, v: 0, e: 1 });
    // A second reset counts on.
    const again = observe(seen.observed, { kind: "answer", hashes: { signature: h("x") }, marks: { signature: 1 } });
    expect(again.observed.signature?.e).toBe(2);
  });

  it("the same lower mark in a report, or in a replayed answer, is only stale", () => {
    for (const kind of ["report", "replay"] as const) {
      const seen = observe(before, { kind, hashes: { signature: h("restored") }, marks: { signature: 3 } });
      expect(seen).toEqual({ observed: before, fresh: [], sameMark: [], isReset: false });
    }
  });

  it("an answer with the same mark is taken as it is (a read of an unchanged account)", () => {
    const seen = observe(before, { kind: "answer", hashes: { signature: h("ours") }, marks: { signature: 10 } });
    expect(seen.fresh).toEqual(["signature"]);
    expect(seen.sameMark).toEqual(["signature"]);
    expect(seen.observed.signature).toEqual(before.signature);
    // Another value under the same mark is the vendor's rendering: observed, never a change to take.
    const rendered = observe(before, { kind: "answer", hashes: { signature: h("OURS") }, marks: { signature: 10 } });
    expect(rendered.observed.signature).toEqual({ h: h("OURS"), m: 10, v: 0 });
    const { verdicts } = judgeReport({
      before,
      result: rendered,
      hashes: { signature: h("OURS") },
      desired: desiredOf({ signature: [h("ours"), 4] }),
      pendingWrite: null,
      isOurWrite: null,
      sync: ALL,
      hasMoodText: true,
    });
    expect(verdicts.signature).toBe("unchanged");
  });

  it("a write's answer carries the versions it sent", () => {
    const seen = observe(before, {
      kind: "answer",
      hashes: { signature: h("new") },
      marks: { signature: 11 },
      versions: { signature: 6 },
    });
    expect(seen.observed.signature).toEqual({ h: h("new"), m: 11, v: 6 });
  });

  it("never goes back by mark for reports, whatever their order (property)", () => {
    const reportArb = fc.record({ mark: fc.nat({ max: 20 }), value: fc.constantFrom("a", "b", "c") });
    fc.assert(
      fc.property(fc.array(reportArb, { maxLength: 12 }), (reports) => {
        let observed: TObserved = {};
        for (const report of reports) {
          observed = observe(observed, {
            kind: "report",
            hashes: { signature: h(report.value) },
            marks: { signature: report.mark },
          }).observed;
        }
        if (reports.length === 0) {
          expect(observed).toEqual({});
          return;
        }
        // The newest mark wins, with the value of the first report that carried it (later ones equal
        // to it are stale).
        const newest = Math.max(...reports.map((report) => report.mark));
        const first = reports.find((report) => report.mark === newest)!;
        expect(observed.signature?.m).toBe(newest);
        expect(observed.signature?.h).toBe(h(first.value));
      }),
    );
  });
});

describe("judging a report", () => {
  const before: TObserved = {
    signature: field(h("ours"), 10, 4),
    mood: field(moodHash("happy", "at work"), 10, 4),
  };
  const desired = desiredOf({ signature: [h("ours"), 4], mood: [moodHash("happy", "at work"), 4] });
  const judge = (
    hashes: TFieldHashes,
    options: {
      mark?: number;
      isOurWrite?: boolean | null;
      pending?: TFieldHashes;
      sync?: typeof ALL;
      text?: boolean;
    } = {},
  ) => {
    const result = observe(before, {
      kind: "report",
      hashes,
      marks: Object.fromEntries(Object.keys(hashes).map((name) => [name, options.mark ?? 11])),
    });
    return judgeReport({
      before,
      result,
      hashes,
      desired,
      pendingWrite: options.pending ?? null,
      isOurWrite: options.isOurWrite === undefined ? false : options.isOurWrite,
      sync: options.sync ?? ALL,
      hasMoodText: options.text ?? true,
    });
  };

  it.each([
    ["our write's key, whatever the value", { signature: h("anything") }, { isOurWrite: true }, "echo"],
    ["a mark not newer than the field's: stale", { signature: h("typed") }, { mark: 10 }, "stale"],
    [
      "a field the account does not sync",
      { signature: h("typed") },
      { sync: { ...ALL, signature: false } },
      "not_synced",
    ],
    [
      "keyless, the value of our unconfirmed write",
      { signature: h("fly") },
      { isOurWrite: null, pending: { signature: h("fly") } },
      "echo",
    ],
    [
      "the vendor names writers: a web change equal to our unconfirmed write is genuine",
      { signature: h("fly") },
      { pending: { signature: h("fly") } },
      "genuine",
    ],
    ["what the account already showed", { signature: h("ours") }, {}, "unchanged"],
    ["a new value with a newer mark", { signature: h("typed") }, {}, "genuine"],
  ] as const)("%s", (_label, hashes, options, verdict) => {
    expect(judge(hashes, options).verdicts.signature).toBe(verdict);
  });

  it("a value equal to our mapping of the desired one is unchanged (a lossy rendering)", () => {
    const lossy = desiredOf({ signature: [h("cut…"), 4] });
    const result = observe(before, { kind: "report", hashes: { signature: h("cut…") }, marks: { signature: 11 } });
    const { verdicts } = judgeReport({
      before,
      result,
      hashes: { signature: h("cut…") },
      desired: lossy,
      pendingWrite: null,
      isOurWrite: false,
      sync: ALL,
      hasMoodText: true,
    });
    expect(verdicts.signature).toBe("unchanged");
  });

  it("a reset answer makes every field a reset, nothing genuine", () => {
    const result = observe(before, { kind: "answer", hashes: { signature: h("old") }, marks: { signature: 2 } });
    const { verdicts } = judgeReport({
      before,
      result,
      hashes: { signature: h("old") },
      desired,
      pendingWrite: null,
      isOurWrite: null,
      sync: ALL,
      hasMoodText: true,
    });
    expect(verdicts).toEqual({ signature: "reset" });
  });

  it.each([
    ["only the word changed (MSN has no text)", moodHash("sad", ""), false, { word: true, text: false }, "genuine"],
    ["only the word changed", moodHash("sad", "at work"), true, { word: true, text: false }, "genuine"],
    ["only the text changed", moodHash("happy", "lunch"), true, { word: false, text: true }, "genuine"],
    ["both changed", moodHash("sad", "lunch"), true, { word: true, text: true }, "genuine"],
    [
      "only the text, on a network that shows none",
      moodHash("happy", "lunch"),
      false,
      { word: false, text: false },
      "unchanged",
    ],
  ] as const)("mood: %s", (_label, hash, text, parts, verdict) => {
    const { verdicts, mood } = judge({ mood: hash }, { text });
    expect(verdicts.mood).toBe(verdict);
    expect(mood).toEqual(parts);
  });

  it("mood: a part equal to our mapping is not taken (a fallback word, a cut text)", () => {
    const fallback = desiredOf({ mood: [moodHash("happy", "cut…"), 5] });
    const shown: TObserved = { mood: field(moodHash("happy", "before"), 10) };
    const result = observe(shown, {
      kind: "report",
      hashes: { mood: moodHash("happy", "typed") },
      marks: { mood: 11 },
    });
    const judged = judgeReport({
      before: shown,
      result,
      hashes: { mood: moodHash("happy", "typed") },
      desired: fallback,
      pendingWrite: null,
      isOurWrite: false,
      sync: ALL,
      hasMoodText: true,
    });
    expect(judged.mood).toEqual({ word: false, text: true });
    expect(judged.verdicts.mood).toBe("genuine");
  });

  it("judges only the fields reported", () => {
    expect(judge({ signature: h("typed") }).verdicts).toEqual({ signature: "genuine" });
  });
});

describe("write keys", () => {
  const key = (basis: string, versions: Record<string, number>) =>
    writeKeyOf({ accountId: "acc", basis, part: "profile", versions });

  it("name the account, the basis, the part and the versions, in field order", () => {
    expect(key("b", { signature: 3, displayName: 2 })).toBe(key("b", { displayName: 2, signature: 3 }));
    expect(key("b", { signature: 3 })).toBe("oneprofile:acc:b:profile:signature=3");
    expect(key("b", { signature: 3 })).not.toBe(key("b", { signature: 4 }));
    expect(key("b", { signature: 3 })).not.toBe(key("c", { signature: 3 }));
    expect(writeKeyOf({ accountId: "acc", basis: "b", part: "avatar", versions: {} })).toBe("oneprofile:acc:b:avatar:");
  });

  it("differ when the account was seen to change since, or when the value sent differs", () => {
    const sent = { mood: moodHash("happy", "") };
    const seen: TObserved = { mood: field(moodHash("happy", ""), 5) };
    const changed: TObserved = { mood: field(moodHash("blessed", ""), 6) };
    expect(writeBasis(seen, sent)).toBe(writeBasis(seen, sent));
    expect(writeBasis(seen, sent)).toMatch(/^[0-9a-f]{16}$/);
    expect(writeBasis(changed, sent)).not.toBe(writeBasis(seen, sent));
    expect(writeBasis({ mood: field(moodHash("happy", ""), 7) }, sent)).not.toBe(writeBasis(seen, sent));
    expect(writeBasis(seen, { mood: moodHash("sad", "") })).not.toBe(writeBasis(seen, sent));
    // Only the fields sent count.
    expect(writeBasis({ ...seen, signature: field(h("x"), 9) }, sent)).toBe(writeBasis(seen, sent));
    expect(writeBasis({}, sent)).not.toBe(writeBasis(seen, sent));
    // The same observation after a reset (a vendor restored to a state seen before) is a new basis.
    expect(writeBasis({ mood: { ...seen.mood!, e: 1 } }, sent)).not.toBe(writeBasis(seen, sent));
  });
});

describe("refusals and entries", () => {
  it("records a refused write per field, keeping what the account shows", () => {
    const observed: TObserved = { signature: field(h("old"), 4, 2) };
    const write = { hashes: { signature: h("bad"), displayName: h("d") }, versions: { signature: 5, displayName: 5 } };
    const refused = refuseWrite(observed, write, ["signature", "mood"], "QQ refused the signature: no.");
    expect(refused.signature).toEqual({
      ...observed.signature,
      r: { h: h("bad"), v: 5, why: "QQ refused the signature: no." },
    });
    expect(refused.mood).toBeUndefined();
    expect(refused.displayName).toBeUndefined();
    const fresh = refuseWrite({}, write, ["displayName"], "why");
    expect(fresh.displayName).toEqual({ h: null, m: null, v: 0, r: { h: h("d"), v: 5, why: "why" } });
    expect(refusalReason(["signature", "displayName"], { ...refused, ...fresh })).toBe(
      "QQ refused the signature: no. why",
    );
  });

  const entry = { fields: ["signature", "mood"] as const, versions: { signature: 5, mood: 5, displayName: 2 } };
  it.each([
    ["open while any field is behind", { signature: 5, mood: 4 }, {}, "open"],
    ["delivered when it shows this change", { signature: 5, mood: 5 }, {}, "delivered"],
    ["delivered when one field shows it and the other a later one", { signature: 6, mood: 5 }, {}, "delivered"],
    ["superseded when later changes of every field got there first", { signature: 6, mood: 7 }, {}, "superseded"],
    ["refused when a field of it was refused and the rest shows", { signature: 5, mood: 0 }, { mood: 5 }, "refused"],
    ["refused by a later refusal too", { signature: 5, mood: 0 }, { mood: 6 }, "refused"],
    ["open when the refusal was of an earlier change", { signature: 5, mood: 0 }, { mood: 4 }, "open"],
    ["open while another field is behind, whatever was refused", { signature: 4, mood: 0 }, { mood: 5 }, "open"],
  ] as const)("%s", (_label, shown, refusedAt, outcome) => {
    const observed: TObserved = Object.fromEntries(
      Object.entries(shown).map(([name, v]) => {
        const refused = (refusedAt as Record<string, number>)[name];
        return [name, { v, h: null, m: null, ...(refused ? { r: { h: "x", v: refused, why: "" } } : {}) }];
      }),
    );
    expect(deliveryOutcome(entry, observed)).toBe(outcome);
  });

  it("an entry of no fields is delivered", () => {
    expect(deliveryOutcome({ fields: [], versions: {} }, {})).toBe("delivered");
  });
});

describe("the rules' edges", () => {
  it("the first value seen of a field the person never set is left as its own; later ones are not", () => {
    const desired = desiredOf({ signature: [h(""), 0], displayName: [h("d"), 3] });
    const first = observe(
      { signature: field(null, 1), displayName: field(null, 1) },
      {
        kind: "report",
        hashes: { signature: h("own"), displayName: h("own d") },
        marks: { signature: 2, displayName: 2 },
      },
      desired,
    );
    expect(first.observed.signature).toEqual({ h: h("own"), m: 2, v: 0, t: h("own") });
    expect(first.observed.displayName).toEqual({ h: h("own d"), m: 2, v: 0 });
    const later = observe(
      first.observed,
      { kind: "report", hashes: { signature: h("new") }, marks: { signature: 3 } },
      desired,
    );
    expect(later.observed.signature?.t).toBe(h("own"));
    // Without the desired state at hand nothing is assumed.
    expect(
      observe({}, { kind: "report", hashes: { signature: h("x") }, marks: { signature: 1 } }).observed.signature?.t,
    ).toBeUndefined();
  });

  it("a value whose shown value was unknown is adopted, never taken as a change", () => {
    const before: TObserved = { signature: field(null, 3) };
    const hashes = { signature: h("restored") };
    const { verdicts } = judgeReport({
      before,
      result: observe(before, { kind: "answer", hashes, marks: { signature: 9 } }),
      hashes,
      desired: desiredOf({ signature: [h("profile"), 4] }),
      pendingWrite: null,
      isOurWrite: null,
      sync: ALL,
      hasMoodText: true,
    });
    expect(verdicts.signature).toBe("unchanged");
    // A field never observed at all (an account from before observations) is judged as usual.
    const never: TObserved = {};
    const judged = judgeReport({
      before: never,
      result: observe(never, { kind: "report", hashes, marks: { signature: 9 } }),
      hashes,
      desired: desiredOf({ signature: [h("profile"), 4] }),
      pendingWrite: null,
      isOurWrite: false,
      sync: ALL,
      hasMoodText: true,
    });
    expect(judged.verdicts.signature).toBe("genuine");
  });

  it("marks: a string against a number, and short numerals, have no order", () => {
    expect(compareMarks("3", 3)).toBeNull();
    expect(compareMarks("12", "3")).toBeNull();
    expect(compareMarks(null, "a")).toBeNull();
    expect(isNewerMark(null, null)).toBe(true);
    expect(isOlderMark(null, null)).toBe(false);
  });

  it("mood parts of nothing are nothing", () => {
    expect(moodParts("")).toBeNull();
    expect(moodParts(undefined)).toBeNull();
  });

  it("a field once left at link, then set by the person, is owed while it shows the link's value", () => {
    expect(isOwed({ hash: h("set"), version: 2 }, field(h("mine"), 1, 0, { t: h("mine") }))).toBe(true);
  });

  it("an observation's value unlike the desired one carries no version", () => {
    const desired = desiredOf({ signature: [h("wanted"), 7] });
    const seen = observe({}, { kind: "report", hashes: { signature: h("other") }, marks: { signature: 1 } }, desired);
    expect(seen.observed.signature).toEqual({ h: h("other"), m: 1, v: 0 });
  });

  it("a reset: any older field decides, a field never seen counts as not older, uncovered fields take the answer's mark", () => {
    const current: TObserved = { signature: field(h("s"), 2, 1), displayName: field(h("d"), 9, 1) };
    const seen = observe(current, {
      kind: "answer",
      hashes: { signature: h("s2"), displayName: h("d2"), mood: moodHash(null, "") },
      marks: { signature: 5, displayName: 5, mood: 5 },
    });
    expect(seen).toEqual({
      isReset: true,
      fresh: ["displayName", "signature", "mood"],
      sameMark: [],
      observed: {
        signature: { h: h("s2"), m: 5, v: 0, e: 1 },
        displayName: { h: h("d2"), m: 5, v: 0, e: 1 },
        mood: { h: moodHash(null, ""), m: 5, v: 0, e: 1 },
        avatar: { h: null, m: 5, v: 0, e: 1 },
      },
    });
    // Unknown values carry no version, even where the desired one has nothing to send.
    const withDesired = observe(
      current,
      { kind: "answer", hashes: { signature: h("s") }, marks: { signature: 1 } },
      desiredOf({ avatar: [null, 4] }),
    );
    expect(withDesired.observed.avatar?.v).toBe(0);
  });

  it("an answer with a newer mark, or about a field never seen, is fresh and not of the same mark", () => {
    const current: TObserved = { signature: field(h("s"), 2, 1) };
    const seen = observe(current, {
      kind: "answer",
      hashes: { signature: h("s"), displayName: h("d") },
      marks: { signature: 3, displayName: 3 },
    });
    expect(seen).toMatchObject({ fresh: ["displayName", "signature"], sameMark: [], isReset: false });
  });

  it("judging: unchanged against what it showed (not only against ours), a keyless report unlike our write is genuine", () => {
    const before: TObserved = { signature: field(h("shown"), 10, 2) };
    const desired = desiredOf({ signature: [h("ours"), 3] });
    const judge = (hash: string, isOurWrite: boolean | null, pendingWrite: TFieldHashes | null) =>
      judgeReport({
        before,
        result: observe(before, { kind: "report", hashes: { signature: hash }, marks: { signature: 11 } }),
        hashes: { signature: hash },
        desired,
        pendingWrite,
        isOurWrite,
        sync: ALL,
        hasMoodText: true,
      });
    expect(judge(h("shown"), false, null)).toEqual({
      verdicts: { signature: "unchanged" },
      mood: { word: false, text: false },
    });
    expect(judge(h("typed"), null, { signature: h("fly") }).verdicts.signature).toBe("genuine");
    expect(judge(h("typed"), null, null).verdicts.signature).toBe("genuine");
    expect(judge(h("fly"), null, { signature: h("fly") }).verdicts.signature).toBe("echo");
  });

  it("judging a mood: a word equal to what was shown is not taken, its text may be", () => {
    const before: TObserved = { mood: field(moodHash("happy", "a"), 10, 2) };
    const hashes = { mood: moodHash("happy", "b") };
    const judged = judgeReport({
      before,
      result: observe(before, { kind: "report", hashes, marks: { mood: 11 } }),
      hashes,
      desired: desiredOf({ mood: [moodHash("sad", "a"), 3] }),
      pendingWrite: null,
      isOurWrite: false,
      sync: ALL,
      hasMoodText: true,
    });
    expect(judged).toEqual({ verdicts: { mood: "genuine" }, mood: { word: false, text: true } });
    // What was shown unknown (an old hash): both parts differ from it.
    const unknown: TObserved = { mood: field(h("legacy"), 10, 2) };
    const fromUnknown = judgeReport({
      before: unknown,
      result: observe(unknown, { kind: "report", hashes, marks: { mood: 11 } }),
      hashes,
      desired: desiredOf({ mood: [moodHash("sad", "a"), 3] }),
      pendingWrite: null,
      isOurWrite: false,
      sync: ALL,
      hasMoodText: true,
    });
    expect(fromUnknown.mood).toEqual({ word: true, text: true });
  });

  it("write keys list every version sent, and the basis depends on the value seen and the resets seen", () => {
    expect(
      writeKeyOf({ accountId: "a", basis: "b", part: "profile", versions: { displayName: 2, signature: 3 } }),
    ).toBe("oneprofile:a:b:profile:displayName=2,signature=3");
    const sent = { signature: h("x") };
    expect(writeBasis({ signature: field(h("one"), 5) }, sent)).not.toBe(
      writeBasis({ signature: field(h("two"), 5) }, sent),
    );
    expect(writeBasis({ signature: field(h("one"), 5, 0, { e: 1 }) }, sent)).not.toBe(
      writeBasis({ signature: field(h("one"), 5, 0, { e: 2 }) }, sent),
    );
  });

  it("a refusal keeps the other fields as they were", () => {
    const observed: TObserved = { displayName: field(h("d"), 3, 1), signature: field(h("s"), 3, 1) };
    const refused = refuseWrite(
      observed,
      { hashes: { signature: h("bad") }, versions: { signature: 4 } },
      ["signature"],
      "no",
    );
    expect(refused.displayName).toEqual(observed.displayName);
  });

  it("entries: a field never observed is behind; a field not refused is behind", () => {
    const entry = { fields: ["signature"] as const, versions: { signature: 1 } };
    expect(deliveryOutcome(entry, {})).toBe("open");
    expect(deliveryOutcome(entry, { signature: field(null, null, 0) })).toBe("open");
    expect(
      refusalReason(["signature", "mood"], { mood: field(null, null, 0, { r: { h: "x", v: 1, why: "No." } }) }),
    ).toBe("No.");
    expect(refusalReason(["signature"], {})).toBe("");
  });

  it("an account owing nothing shows the desired versions of the values it shows, never lower ones", () => {
    const observed: TObserved = {
      signature: field(h("s"), 3, 1),
      displayName: field(h("old"), 3, 1),
      mood: field(moodHash(null, ""), 3, 9),
    };
    const desired = desiredOf({
      signature: [h("s"), 4],
      displayName: [h("new"), 4],
      mood: [moodHash(null, ""), 5],
      avatar: [null, 2],
    });
    expect(raiseShown(observed, desired)).toEqual({
      signature: field(h("s"), 3, 4),
      displayName: field(h("old"), 3, 1),
      mood: field(moodHash(null, ""), 3, 9),
    });
    expect(raiseShown({ avatar: field(null, 1, 0) }, desired)).toEqual({ avatar: field(null, 1, 0) });
  });
});
