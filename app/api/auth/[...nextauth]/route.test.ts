/** next-auth's route: a sign-in body is small, and a bigger one is refused before it is read whole. */
import { describe, expect, it } from "vitest";
import { POST } from "./route";

describe("POST /api/auth/*", () => {
  it("answers a body over 64 KB with 413 and never hands it to next-auth", async () => {
    const body = new URLSearchParams({ email: "a@b.co", password: "a".repeat(70 * 1024) }).toString();
    const response = await POST(
      new Request("http://localhost/api/auth/callback/credentials", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
      }),
      { params: Promise.resolve({ nextauth: ["callback", "credentials"] }) },
    );
    expect(response.status).toBe(413);
  });
});
