import { describe, expect, it } from "vitest";
import { redact } from "./log";

describe("redact", () => {
  it.each([
    [
      "connect postgresql://oneprofile:hunter2@db:5432/x failed",
      "connect postgresql://oneprofile:***@db:5432/x failed",
    ],
    ["Authorization: Bearer abc.def", "Authorization: Bearer ***"],
    ['{"password":"hunter2"}', '{"password":"***"}'],
    ["token=abc123&x=1", "token=***&x=1"],
    ["nothing secret here", "nothing secret here"],
  ])("%s", (input, expected) => {
    expect(redact(input)).toBe(expected);
  });
});
