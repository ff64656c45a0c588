import { describe, expect, it } from "vitest";
import { safeCallbackUrl } from "./safe-callback";

describe("safeCallbackUrl", () => {
  it.each([
    ["/accounts?x=1", "/accounts?x=1"],
    [undefined, "/profile"],
    ["https://evil.example/", "/profile"],
    ["//evil.example/", "/profile"],
    ["/\\evil.example", "/profile"],
    [["/activity", "/admin"], "/activity"],
  ])("%j → %s", (input, expected) => {
    expect(safeCallbackUrl(input)).toBe(expected);
  });
});
