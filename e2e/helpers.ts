import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, type Page } from "@playwright/test";
import { E2E_STATE_DIR } from "./config";

export const PASSWORD = "a long enough password";

/** Each test makes its own user, so tests never share state. */
export function uniqueEmail(prefix = "user"): string {
  return `${prefix}-${randomBytes(5).toString("hex")}@example.com`;
}

/** The e2e server's database (a throwaway cluster), for setup steps such as promoting a user. */
export function e2eDatabaseUrl(): string {
  return (JSON.parse(readFileSync(path.join(E2E_STATE_DIR, "server.json"), "utf8")) as { databaseUrl: string })
    .databaseUrl;
}

export async function signUp(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto("/signup");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByTestId("current-user")).toHaveText(email);
}

/** Submits the sign-in form and waits for the server's answer. */
export async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await Promise.all([
    page.waitForResponse((response) => response.url().includes("/api/auth/callback/credentials")),
    page.getByRole("button", { name: "Sign in" }).click(),
  ]);
}

/** The message a form shows as a whole (Next.js has a route announcer with role=alert too). */
export function formAlert(page: Page) {
  return page.locator("form").getByRole("alert");
}
