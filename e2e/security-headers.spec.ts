import { expect, test, type APIResponse } from "@playwright/test";
import { PASSWORD, signIn, signUp, uniqueEmail } from "./helpers";

/** What every response carries, whatever it is. */
function expectCommonHeaders(response: APIResponse) {
  const headers = response.headers();
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
  // Served over plain HTTP here: no HSTS (browsers would ignore it, and it must not be promised).
  expect(headers["strict-transport-security"]).toBeUndefined();
}

test("a page gets a nonce-based Content-Security-Policy, a fresh nonce each time, on its scripts", async ({
  request,
}) => {
  const first = await request.get("/signin");
  const second = await request.get("/signin");
  expect(first.status()).toBe(200);
  expectCommonHeaders(first);
  const policy = first.headers()["content-security-policy"] ?? "";
  const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
  expect(nonce).toBeTruthy();
  expect(second.headers()["content-security-policy"]).not.toContain(`'nonce-${nonce}'`);
  for (const directive of ["frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'", "form-action 'self'"]) {
    expect(policy).toContain(directive);
  }
  const scriptSources = /script-src ([^;]*)/.exec(policy)?.[1] ?? "";
  expect(scriptSources).not.toContain("unsafe-inline");
  expect(scriptSources).not.toContain("unsafe-eval");
  // Every script Next.js rendered carries the nonce.
  const scripts = (await first.text()).match(/<script\b[^>]*>/g) ?? [];
  expect(scripts.length).toBeGreaterThan(0);
  for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`);
});

test("a protected page still sends a signed-out visitor to sign-in, with the headers", async ({ request }) => {
  const response = await request.get("/profile", { maxRedirects: 0 });
  expect(response.status()).toBe(307);
  expect(response.headers()["location"]).toMatch(/\/signin\?callbackUrl=%2Fprofile$/);
  expectCommonHeaders(response);
  expect(response.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
});

test("an API route and a static file get the headers too", async ({ request }) => {
  const api = await request.get("/api/health");
  expectCommonHeaders(api);
  expect(api.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");

  const html = await (await request.get("/signin")).text();
  const asset = /(?:src|href)="(\/_next\/static\/[^"]+)"/.exec(html)?.[1];
  expect(asset).toBeTruthy();
  const file = await request.get(asset!);
  expect(file.status()).toBe(200);
  expectCommonHeaders(file);
});

test("sign-up and sign-in work under the policy, with no violation", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy|Refused to/i.test(message.text())) {
      violations.push(message.text());
    }
  });
  page.on("pageerror", (error) => violations.push(error.message));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });

  const email = uniqueEmail("csp");
  await signUp(page, email);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  await signIn(page, email, PASSWORD);
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByTestId("current-user")).toHaveText(email);
  expect(violations).toEqual([]);
});

test("the 404 page is rendered per request too: its scripts carry the nonce", async ({ request }) => {
  const response = await request.get("/no-such-page");
  expect(response.status()).toBe(404);
  expectCommonHeaders(response);
  const nonce = /'nonce-([^']+)'/.exec(response.headers()["content-security-policy"] ?? "")?.[1];
  expect(nonce).toBeTruthy();
  const scripts = (await response.text()).match(/<script\b[^>]*>/g) ?? [];
  expect(scripts.length).toBeGreaterThan(0);
  for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`);
});

test("a body over a route's limit is answered 413 over HTTP, not read whole", async ({ request }) => {
  const response = await request.post("/api/auth/callback/credentials", {
    form: { email: "a@example.com", password: "a".repeat(100 * 1024) },
  });
  expect(response.status()).toBe(413);
});
