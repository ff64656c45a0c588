import { describe, expect, it } from "vitest";
import { safeCallbackUrl } from "./safe-callback";

/** The portal's own origin, as NEXTAUTH_URL gives it on the server and the page's on the client. */
const OWN_ORIGIN = "http://localhost:3000";

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
    "http:\\\\evil.example",
    "blob:http://oneprofile.invalid/x",
    // With the portal's own origin known, an absolute URL naming it with another path start,
    // scheme, port, host or user part still goes nowhere else.
    "http://localhost:3000//evil.example",
    "http://localhost:3000/\\evil.example",
    "https://localhost:3000/accounts",
    "http://localhost:3001/accounts",
    "http://localhost:3000@evil.example/accounts",
    "http://localhost:3000.evil.example/accounts",
    "blob:http://localhost:3000/x",
    "javascript://localhost:3000/%0Aalert(1)",
  ])("sends %j to the profile instead", (input) => {
    expect(safeCallbackUrl(input)).toBe("/profile");
    expect(safeCallbackUrl(input, OWN_ORIGIN)).toBe("/profile");
  });

  it.each([
    ["http://localhost:3000/accounts", "/accounts"],
    ["HTTP://LOCALHOST:3000/accounts?x=1#y", "/accounts?x=1#y"],
    ["http://localhost:3000", "/"],
    ["http://user@localhost:3000/activity", "/activity"],
  ])("follows an absolute URL on the portal's own origin %j → %s", (input, expected) => {
    expect(safeCallbackUrl(input, OWN_ORIGIN)).toBe(expected);
    expect(safeCallbackUrl(input, `${OWN_ORIGIN}/`)).toBe(expected);
    // Without the portal's origin it cannot be told from another site's.
    expect(safeCallbackUrl(input)).toBe("/profile");
  });

  it("never takes an opaque origin (a sandboxed page, a data: URL) for the portal's", () => {
    expect(safeCallbackUrl("data:text/html,x", "null")).toBe("/profile");
    expect(safeCallbackUrl("data:text/html,x", "data:text/html,y")).toBe("/profile");
  });

  it("returns the normalised path, never the raw value", () => {
    expect(safeCallbackUrl("/profile\t?x=1")).toBe("/profile?x=1");
  });
});
