import { describe, expect, it } from "vitest";
import { ZSignUpInput } from "./schemas";

describe("ZSignUpInput", () => {
  it("normalises the email to lower case without surrounding spaces", () => {
    expect(ZSignUpInput.parse({ email: "  Ada@Example.COM ", password: "0123456789" }).email).toBe("ada@example.com");
  });

  it.each([
    ["not-an-email", "0123456789", "email", "Enter a valid email address, like name@example.com."],
    ["", "0123456789", "email", "Enter your email address."],
    ["ada@example.com", "123456789", "password", "Use at least 10 characters."],
    ["ada@example.com", "x".repeat(257), "password", "Use at most 256 characters."],
  ])("rejects %j / password of %i chars with a message for %s", (email, password, field, message) => {
    const result = ZSignUpInput.safeParse({ email, password });
    expect(result.success).toBe(false);
    expect(result.error?.issues.find((i) => i.path[0] === field)?.message).toBe(message);
  });
});
