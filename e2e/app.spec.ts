import { expect, test } from "@playwright/test";
import { promoteWithCommand, signIn, signUp, uniqueEmail } from "./helpers";

test("the shell navigates between Profile, Accounts and Activity; no Admin for users", async ({ page }) => {
  await page.goto("/profile");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Profile" })).toHaveAttribute("aria-current", "page");
  await expect(nav.getByRole("link", { name: "Admin" })).toHaveCount(0);

  await nav.getByRole("link", { name: "Accounts" }).click();
  await expect(page.getByRole("heading", { name: "Linked accounts", exact: true })).toBeVisible();
  await expect(page.getByText("No linked accounts yet")).toBeVisible();

  await nav.getByRole("link", { name: "Activity" }).click();
  await expect(page.getByRole("heading", { name: "Activity", exact: true })).toBeVisible();
  await expect(page.getByText("No updates yet")).toBeVisible();

  // Admin pages answer a normal user with a real 403 page.
  for (const path of ["/admin", "/admin/users", "/admin/audit"]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(403);
    await expect(page.getByRole("heading", { name: "Administrators only" })).toBeVisible();
  }
});

test("`npm run admin -- promote` makes a user an admin who can find users", async ({ browser }) => {
  const page = await browser.newPage({ storageState: { cookies: [], origins: [] } });
  const email = uniqueEmail("support");
  await signUp(page, email);

  expect(promoteWithCommand(email.toUpperCase(), "joins the support team")).toContain(
    `${email} is now an administrator.`,
  );

  // The role travels in the session token, so it shows after signing in again.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  await signIn(page, email);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Users" }).click();
  await expect(page.getByRole("heading", { name: "Users", exact: true })).toBeVisible();
  await page.getByLabel("Search users by email").fill(email.slice(0, 12));
  await expect(page.getByRole("cell", { name: email })).toBeVisible();
  await page.getByLabel("Search users by email").fill("nobody-has-this-address");
  await expect(page.getByText("No users match")).toBeVisible();
  await page.close();
});

test("the promotion is in the audit log, with its reason", async ({ browser }) => {
  const page = await browser.newPage({ storageState: { cookies: [], origins: [] } });
  const email = uniqueEmail("auditor");
  await signUp(page, email);
  promoteWithCommand(email, "audits the auditors");
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, email);
  await page.goto("/admin/audit");
  await page.getByLabel("Actor’s or person’s email").fill(email);
  // This person's entries (other tests promote people too).
  const rows = page.getByTestId("audit-rows").locator("tr", { hasText: email });
  await expect(rows.and(page.locator('[data-action="user.role"]'))).toContainText("“audits the auditors”");
  await expect(rows.and(page.locator('[data-action="user.role"]'))).toContainText("support command");
  await expect(rows.and(page.locator('[data-action="user.signup"]'))).toBeVisible();
  await page.close();
});
