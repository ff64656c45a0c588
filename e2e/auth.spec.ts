import { expect, test } from "@playwright/test";
import { formAlert, PASSWORD, signIn, signUp, uniqueEmail } from "./helpers";

test("sign up, land in the app, sign out, sign in again", async ({ page }) => {
  const email = uniqueEmail();
  await signUp(page, email);
  await expect(page.getByRole("heading", { name: "Your profile", exact: true })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);

  await signIn(page, email.toUpperCase());
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByTestId("current-user")).toHaveText(email);
});

test("a protected page sends a signed-out visitor to sign-in and back", async ({ page }) => {
  const email = uniqueEmail();
  await signUp(page, email);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);

  await page.goto("/accounts");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Faccounts$/);
  await signIn(page, email);
  await expect(page).toHaveURL(/\/accounts$/);
  await expect(page.getByRole("heading", { name: "Linked accounts", exact: true })).toBeVisible();
});

test("sign-up explains a malformed email and a short password", async ({ page }) => {
  await page.goto("/signup");
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText("Enter a valid email address, like name@example.com.")).toBeVisible();
  await expect(page.getByText("Use at least 10 characters.")).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
  await expect(page).toHaveURL(/\/signup$/);
});

test("sign-up refuses an email that already has an account, in any case", async ({ page, browser }) => {
  const email = uniqueEmail();
  await signUp(page, email);

  const other = await browser.newPage();
  await other.goto("/signup");
  await other.getByLabel("Email").fill(email.toUpperCase());
  await other.getByLabel("Password").fill(PASSWORD);
  await other.getByRole("button", { name: "Create account" }).click();
  await expect(other.getByText("An account with this email already exists. Sign in instead?")).toBeVisible();
  await expect(other).toHaveURL(/\/signup$/);
  await other.close();
});

test("a wrong password is refused with a clear message", async ({ page }) => {
  const email = uniqueEmail();
  await signUp(page, email);
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, email, "not the password");
  await expect(formAlert(page)).toHaveText("Wrong email or password.");
  await expect(page).toHaveURL(/\/signin/);
});

test("the 11th failed sign-in in a row is rate-limited, even with the right password", async ({ page }) => {
  const email = uniqueEmail();
  await signUp(page, email);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);

  for (let attempt = 1; attempt <= 10; attempt++) {
    await signIn(page, email, `wrong password ${attempt}`);
    await expect(formAlert(page)).toHaveText("Wrong email or password.");
  }
  await signIn(page, email, PASSWORD);
  await expect(formAlert(page)).toHaveText(/^Too many failed sign-ins\. Try again in \d+ minutes?\.$/);
  await expect(page).toHaveURL(/\/signin/);
});

test("changing the password keeps this browser signed in and signs out the others", async ({ page, browser }) => {
  const email = uniqueEmail();
  await signUp(page, email);
  const elsewhere = await browser.newContext();
  const other = await elsewhere.newPage();
  await other.goto("/signin");
  await signIn(other, email);
  await expect(other).toHaveURL(/\/profile$/);

  const newPassword = "another long enough password";
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Settings", exact: true })).toBeVisible();
  await page.getByLabel("Current password").fill("not the password");
  await page.getByLabel("New password").fill(newPassword);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("That is not your current password.")).toBeVisible();

  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByLabel("New password").fill(newPassword);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("Your password is changed. Every other browser and device is signed out.")).toBeVisible();
  await page.reload();
  await expect(page.getByTestId("current-user")).toHaveText(email);

  await other.goto("/accounts");
  await expect(other).toHaveURL(/\/signin/);
  await signIn(other, email, PASSWORD);
  await expect(formAlert(other)).toHaveText("Wrong email or password.");
  await signIn(other, email, newPassword);
  await expect(other).toHaveURL(/\/profile$/);
  await elsewhere.close();
});

test("sign out everywhere asks first, then signs out this browser and every other", async ({ page, browser }) => {
  const email = uniqueEmail();
  await signUp(page, email);
  const elsewhere = await browser.newContext();
  const other = await elsewhere.newPage();
  await other.goto("/signin");
  await signIn(other, email);
  await expect(other).toHaveURL(/\/profile$/);

  await page.goto("/settings");
  await page.getByRole("button", { name: "Sign out everywhere…" }).click();
  const dialog = page.getByRole("dialog", { name: "Sign out everywhere?" });
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await page.reload();
  await expect(page.getByTestId("current-user")).toHaveText(email);

  await page.getByRole("button", { name: "Sign out everywhere…" }).click();
  await dialog.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(page).toHaveURL(/\/signin/);
  await other.goto("/profile");
  await expect(other).toHaveURL(/\/signin/);

  await signIn(page, email);
  await expect(page).toHaveURL(/\/profile$/);
  await elsewhere.close();
});

test("sign out everywhere: Escape while it runs keeps the dialog, its error shows there, reopening starts clean", async ({
  page,
}) => {
  await signUp(page, uniqueEmail());
  await page.goto("/settings");
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/api/trpc/auth.signOutEverywhere*", async (route) => {
    await held;
    await route.abort("failed");
  });
  await page.getByRole("button", { name: "Sign out everywhere…" }).click();
  const dialog = page.getByRole("dialog", { name: "Sign out everywhere?" });
  await dialog.getByRole("button", { name: "Sign out everywhere" }).click();
  // The action is under way (its Cancel is disabled) before Escape is pressed: an Escape before
  // that closes the dialog, as it should.
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeDisabled();
  await page.keyboard.press("Escape");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeVisible();
  release();
  await expect(dialog.getByRole("alert")).toBeVisible();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await page.getByRole("button", { name: "Sign out everywhere…" }).click();
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("alert")).toHaveCount(0);
});

test("a same-origin absolute callbackUrl is followed as its path; a notice explains a password change", async ({
  page,
}) => {
  const email = uniqueEmail();
  await signUp(page, email);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  const origin = new URL(page.url()).origin;
  await page.goto(`/signin?notice=password-changed&callbackUrl=${encodeURIComponent(`${origin}/accounts`)}`);
  await expect(page.locator("form").getByRole("status")).toHaveText(
    "Your password was changed. Sign in with the new one.",
  );
  await signIn(page, email);
  await expect(page).toHaveURL(/\/accounts$/);
});
