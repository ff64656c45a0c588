import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { expect, type Page } from "@playwright/test";
import { SERVER_STATE } from "./config";

export const PASSWORD = "a long enough password";

/** Each test makes its own user, so tests never share state. */
export function uniqueEmail(prefix = "user"): string {
  return `${prefix}-${randomBytes(5).toString("hex")}@example.com`;
}

/** The e2e server's throwaway database and sandbox, for setup steps (promote a user, faults). */
export function e2eServer(): { databaseUrl: string; sandboxUrl: string } {
  return JSON.parse(readFileSync(SERVER_STATE, "utf8")) as { databaseUrl: string; sandboxUrl: string };
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
