import { execFileSync } from "node:child_process";
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

/**
 * Creates an account inside a sandbox network (as its owner would have signed up there). Its
 * display name is the login unless given.
 */
export async function createSandboxAccount(
  network: string,
  login: string,
  password: string,
  displayName?: string,
): Promise<void> {
  const response = await fetch(`${e2eServer().sandboxUrl}/__admin/${network}/accounts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login, password, displayName }),
  });
  if (!response.ok) throw new Error(`sandbox: ${response.status}`);
}

/** What a sandbox account shows now, read through the sandbox's admin API (never through OneProfile). */
export interface TSandboxAccount {
  login: string;
  displayName: string;
  signature: string;
  mood: string | null;
  moodText: string;
  avatar: { sha256: string } | null;
  version: number;
  /** Profile writes made through the vendor API, i.e. by OneProfile. */
  apiWrites: number;
}

export async function sandboxAccount(network: string, login: string): Promise<TSandboxAccount> {
  const response = await fetch(`${e2eServer().sandboxUrl}/__admin/${network}/accounts/${encodeURIComponent(login)}`);
  if (!response.ok) throw new Error(`sandbox: ${response.status}`);
  return (await response.json()) as TSandboxAccount;
}

export async function setSandboxFaults(network: string, faults: object | null): Promise<void> {
  const url = `${e2eServer().sandboxUrl}/__admin/faults${faults ? `/${network}` : ""}`;
  const response = await fetch(url, {
    method: faults ? "PUT" : "DELETE",
    headers: { "content-type": "application/json" },
    body: faults ? JSON.stringify(faults) : undefined,
  });
  if (!response.ok) throw new Error(`sandbox: ${response.status}`);
}

/** What the link dialog says linking will do first, decided from the portal profile. */
export const LINK_INTENT = {
  import: "Your OneProfile profile is empty, so we'll import this account's name, signature, mood and avatar.",
  send: "This account will get your OneProfile profile right away (name, signature, mood, avatar — the fields you sync).",
} as const;

/** Opens the link dialog for a network on the Accounts page. */
export async function openLinkDialog(page: Page, networkId: string, networkName: string) {
  await page.getByTestId(`network-${networkId}`).getByRole("button", { name: /^Link/ }).click();
  return page.getByRole("dialog", { name: `Link your ${networkName} account` });
}

/** The message the Accounts page shows after a link or unlink (a live region). */
export function accountsNotice(page: Page) {
  return page.getByTestId("accounts-notice");
}

/** Opens the link dialog for a network on the Accounts page and submits it. */
export async function linkAccount(page: Page, networkId: string, networkName: string, login: string, password: string) {
  const dialog = await openLinkDialog(page, networkId, networkName);
  await dialog.getByRole("textbox").first().fill(login);
  await dialog.getByLabel(`${networkName} password`).fill(password);
  await dialog.getByRole("checkbox", { name: /I allow OneProfile/ }).check();
  await dialog.getByRole("button", { name: `Link ${networkName}` }).click();
  return dialog;
}

/** Words a sandbox network refuses in profile text from now on (a content fault); `[]` clears it. */
export async function setSandboxWordFilter(network: string, words: string[]): Promise<void> {
  const response = await fetch(`${e2eServer().sandboxUrl}/__admin/${network}/word-filter`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ words }),
  });
  if (!response.ok) throw new Error(`sandbox: ${response.status}`);
}

/** Makes a user an administrator with the support command, as support staff would. */
export function promoteWithCommand(email: string, reason: string): string {
  return execFileSync("npm", ["run", "--silent", "admin", "--", "promote", email, reason], {
    env: { ...process.env, DATABASE_URL: e2eServer().databaseUrl },
    encoding: "utf8",
  });
}
