import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import {
  createSandboxAccount,
  linkAccount,
  promoteWithCommand,
  sandboxAccount,
  setSandboxWordFilter,
  signIn,
  signUp,
  uniqueEmail,
} from "./helpers";

// A content fault: QQ refuses profile text containing this test's own word (other tests' text
// never contains it, so they run beside it untouched).
const WORD = `nope${randomBytes(3).toString("hex")}`;

test("support finds a person whose delivery failed, reads why, retries it, and it is audited", async ({ browser }) => {
  // Two people, a link, two saves and a retry, on two busy cores.
  test.setTimeout(240_000);
  // The person: links QQ and saves a signature QQ refuses.
  const person = await browser.newPage({ storageState: { cookies: [], origins: [] } });
  const personEmail = uniqueEmail("stuck");
  await signUp(person, personEmail);
  const login = String(70_000_000 + Math.floor(Math.random() * 9_000_000));
  await createSandboxAccount("qq", login, "qq-password-1", "Stuck Person");
  await person.goto("/accounts");
  await expect(await linkAccount(person, "qq", "QQ", login, "qq-password-1")).toBeHidden();
  await setSandboxWordFilter("qq", [WORD]);
  try {
    await person.goto("/profile");
    await expect(person.getByLabel("Display name")).toHaveValue("Stuck Person");
    await person.getByLabel("Signature").fill(`says ${WORD} a lot`);
    await person.getByRole("button", { name: "Save and sync" }).click();
    await person.goto("/activity");
    await expect(person.getByTestId("delivery-qq").first().getByTestId("state")).toHaveText("Failed");

    // Support: promoted with the command, signs in, finds the person by part of their email.
    const support = await browser.newPage({ storageState: { cookies: [], origins: [] } });
    const supportEmail = uniqueEmail("support");
    await signUp(support, supportEmail);
    promoteWithCommand(supportEmail, "on call this week");
    await support.getByRole("button", { name: "Sign out" }).click();
    await signIn(support, supportEmail);
    await support.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
    await support.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Users" }).click();
    await support.getByLabel("Search users by email").fill(personEmail.slice(0, 12).toUpperCase());
    const row = support.getByTestId("admin-users").getByRole("row", { name: new RegExp(personEmail) });
    await expect(row).toContainText("1"); // one failed delivery in the last day
    await row.getByRole("link", { name: personEmail }).click();
    await expect(support.getByRole("heading", { name: personEmail })).toBeVisible();

    // The vendor's message, as QQ gave it.
    const delivery = support.getByTestId("admin-delivery-qq").first();
    await expect(delivery.getByTestId("vendor-message")).toContainText("QQ refused the signature");
    await expect(delivery.locator("[data-state]")).toHaveText("Failed");
    await expect(support.getByTestId("admin-accounts")).toContainText(login);
    await expect(support.getByTestId("admin-accounts")).not.toContainText("qq-password-1");

    // QQ stops refusing; support retries, giving a reason.
    await setSandboxWordFilter("qq", []);
    await delivery.getByRole("button", { name: "Retry" }).click();
    const dialog = support.getByRole("dialog", { name: "Retry the delivery to QQ " + login + "?" });
    await dialog.getByRole("button", { name: "Retry" }).click();
    await expect(dialog.getByRole("alert")).toContainText("Please say why");
    await dialog.getByLabel("Reason (kept in the audit log)").fill("QQ lifted the word filter");
    await dialog.getByRole("button", { name: "Retry" }).click();
    await expect(dialog).toBeHidden();
    await expect(delivery.locator("[data-state]")).toHaveText("Delivered");
    await expect.poll(async () => (await sandboxAccount("qq", login)).signature).toBe(`says ${WORD} a lot`);

    // The audit entry, with the reason, on the person's page and in the audit log.
    await expect(support.locator('[data-action="admin.delivery.retry"]')).toContainText("“QQ lifted the word filter”");
    await support.getByRole("link", { name: "Audit log for this person" }).click();
    await expect(support.getByTestId("audit-rows").locator('[data-action="admin.delivery.retry"]')).toContainText(
      supportEmail,
    );
    await support.close();
  } finally {
    await setSandboxWordFilter("qq", []);
    await person.close();
  }
});
