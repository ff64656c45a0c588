import { execFileSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import { e2eServer, signIn, signUp, uniqueEmail } from "./helpers";

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

  await page.goto("/admin");
  await expect(page.getByText("Administrators only")).toBeVisible();
});

test("`npm run admin -- promote` makes a user an admin who can find users", async ({ browser }) => {
  const page = await browser.newPage({ storageState: { cookies: [], origins: [] } });
  const email = uniqueEmail("support");
  await signUp(page, email);

  const output = execFileSync("npm", ["run", "--silent", "admin", "--", "promote", email.toUpperCase()], {
    env: { ...process.env, DATABASE_URL: e2eServer().databaseUrl },
    encoding: "utf8",
  });
  expect(output).toContain(`${email} is now an administrator.`);

  // The role travels in the session token, so it shows after signing in again.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  await signIn(page, email);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
  await expect(page.getByRole("heading", { name: "Admin", exact: true })).toBeVisible();
  await page.getByLabel("Search users by email").fill(email.slice(0, 12));
  await expect(page.getByRole("cell", { name: email })).toBeVisible();
  await page.getByLabel("Search users by email").fill("nobody-has-this-address");
  await expect(page.getByText("No users match")).toBeVisible();
  await page.close();
});
