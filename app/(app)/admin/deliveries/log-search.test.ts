/** The delivery log's URL: what a link can ask for, and local times in the form. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromLocalInput, logInput, logSearchOf, RANGE_ERROR, toLocalInput } from "./log-search";

const PERSON = "0b8f3c1e-5d2a-4f7b-9c6d-1a2b3c4d5e6f";

describe("the delivery log's search parameters", () => {
  it("give the procedure's input for a linked view", () => {
    expect(logInput({ user: PERSON })).toEqual({ input: { userId: PERSON }, rangeError: null });
    expect(logInput({ network: "qq", state: "FAILED" })).toEqual({
      input: { networkId: "qq", state: "FAILED" },
      rangeError: null,
    });
    expect(
      logInput({ email: " Ana@Example.com ", from: "2026-12-01T10:00:00.000Z", to: "2026-12-01T11:00:59.999Z" }),
    ).toEqual({
      input: {
        email: "Ana@Example.com",
        from: new Date("2026-12-01T10:00:00.000Z"),
        to: new Date("2026-12-01T11:00:59.999Z"),
      },
      rangeError: null,
    });
  });

  it("drop what is malformed rather than fail the page", () => {
    expect(
      logInput({ network: "qq; drop", state: "LOST", user: "42", email: "  ", from: "yesterday", to: "2026-13-45" }),
    ).toEqual({ input: {}, rangeError: null });
    expect(logInput({ state: "toString" }).input).toEqual({});
  });

  it("report a range that ends before it starts", () => {
    const { rangeError } = logInput({ from: "2026-12-02T00:00:00Z", to: "2026-12-01T00:00:00Z" });
    expect(rangeError).toBe(RANGE_ERROR);
  });

  it("read one value per key, ignoring empty ones", () => {
    const params = new URLSearchParams("network=qq&state=&user=" + PERSON + "&other=1");
    expect(logSearchOf((key) => params.get(key))).toEqual({ network: "qq", user: PERSON });
  });
});

describe("local times in the form", () => {
  const zone = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = "Asia/Shanghai"; // UTC+8, no daylight saving
  });
  afterAll(() => {
    process.env.TZ = zone;
  });

  it("show an instant in local time, and read it back; the end of a range covers its minute", () => {
    expect(toLocalInput("2026-12-01T02:30:00.000Z")).toBe("2026-12-01T10:30");
    expect(fromLocalInput("2026-12-01T10:30", "start")).toBe("2026-12-01T02:30:00.000Z");
    expect(fromLocalInput("2026-12-01T10:30", "end")).toBe("2026-12-01T02:30:59.999Z");
    // The end of a range is shown as the minute it covers.
    expect(toLocalInput("2026-12-01T02:30:59.999Z")).toBe("2026-12-01T10:30");
    expect(toLocalInput(undefined)).toBe("");
    expect(fromLocalInput("", "start")).toBeUndefined();
  });
});
