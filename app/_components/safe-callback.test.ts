import { describe, expect, it } from "vitest";
import { safeCallbackUrl } from "./safe-callback";

describe("safeCallbackUrl", () => {
  it.each([
    ["/accounts?x=1", "/accounts?x=1"],
    ["/profile?x=1#y", "/profile?x=1#y"],
    ["/accounts/%2F%2Fevil.example", "/accounts/%2F%2Fevil.example"],
    [undefined, "/profile"],
    [null, "/profile"],
    ["", "/profile"],
    [["/activity", "/admin"], "/activity"],
  ])("follows the same-origin path %j → %s", (input, expected) => {
    expect(safeCallbackUrl(input)).toBe(expected);
  });

  it.each([
    "https://evil.example/",
    "http://evil.example/profile",
    "//evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/\\/evil.example",
    "/.//evil.example",
    "/x/..//evil.example",
    "https:evil.example",
    "https:/evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "profile",
  ])("sends %j to the profile instead", (input) => {
    expect(safeCallbackUrl(input)).toBe("/profile");
  });

  it("returns the normalised path, never the raw value", () => {
    expect(safeCallbackUrl("/profile\t?x=1")).toBe("/profile?x=1");
  });
});
