import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { expect, test, type Page } from "@playwright/test";
import { SANDBOX_NETWORKS } from "../sandbox/networks";
import { SERVER_LOG } from "./config";
import {
  accountsNotice,
  createSandboxAccount,
  e2eServer,
  LINK_INTENT,
  linkAccount,
  openLinkDialog,
  sandboxAccount,
  setSandboxFaults,
  signUp,
  uniqueEmail,
} from "./helpers";

// Tests run in parallel against one sandbox: the demo accounts belong to the first test only,
// fault injection to Facebook only (its tests run one after another, in one group), and every
// other test creates its own sandbox accounts.

const qqNumber = () => String(30_000 + Math.floor(Math.random() * 90_000_000));

async function openAccounts(page: Page) {
  await signUp(page, uniqueEmail());
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Accounts" }).click();
  await expect(page.getByRole("heading", { name: "Linked accounts", exact: true })).toBeVisible();
}

test("link the seeded QQ, MSN and Fetion demo accounts, toggle a field, unlink", async ({ page }) => {
  await openAccounts(page);
  await expect(page.getByText("No linked accounts yet.")).toBeVisible();

  // The first account fills the empty portal profile; the others are sent it.
  for (const [id, initialSync] of [
    ["qq", "We imported its profile into OneProfile."],
    ["msn", "It is being sent your OneProfile profile now."],
    ["fetion", "It is being sent your OneProfile profile now."],
  ] as const) {
    const { name, demo } = SANDBOX_NETWORKS[id];
    const dialog = await linkAccount(page, id, name, demo.login, demo.password);
    await expect(dialog).toBeHidden();
    await expect(accountsNotice(page)).toContainText(`${name} ${demo.login} is linked. ${initialSync}`);
    await expect(page.getByTestId(`account-${id}-${demo.login}`).getByText("Active")).toBeVisible();
  }
  for (const id of ["msn", "fetion"] as const) {
    const { demo } = SANDBOX_NETWORKS[id];
    await expect
      .poll(async () => (await sandboxAccount(id, demo.login)).displayName)
      .toBe(SANDBOX_NETWORKS.qq.demo.displayName);
  }
  await expect(page.getByTestId("network-matrix")).toHaveCount(0);
  await expect(page.getByText("Coming soon").first()).toBeVisible();

  // Stop syncing the mood to QQ; it stays off after a reload.
  const qq = page.getByTestId("account-qq-10001");
  await qq.getByRole("switch", { name: "Mood" }).uncheck();
  await expect(qq.getByRole("switch", { name: "Mood" })).not.toBeChecked();
  await page.reload();
  await expect(page.getByTestId("account-qq-10001").getByRole("switch", { name: "Mood" })).not.toBeChecked();
  await expect(page.getByTestId("account-qq-10001").getByRole("switch", { name: "Signature" })).toBeChecked();

  // Unlinking asks first; Cancel keeps the account.
  const msn = page.getByTestId("account-msn-demo@msn.example");
  await msn.getByRole("button", { name: "Unlink" }).click();
  const confirm = page.getByRole("dialog", { name: "Unlink MSN demo@msn.example?" });
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(confirm).toBeHidden();
  await expect(msn).toBeVisible();
  await msn.getByRole("button", { name: "Unlink" }).click();
  await confirm.getByRole("button", { name: "Unlink" }).click();
  await expect(accountsNotice(page)).toHaveText("MSN demo@msn.example is unlinked.");
  await expect(msn).toHaveCount(0);
  await expect(page.getByTestId("network-msn").getByText("Not linked")).toBeVisible();
});

test("the first link imports the account's profile; the next one is sent the portal's", async ({ page }) => {
  const qqLogin = qqNumber();
  const msnLogin = `first-${randomBytes(4).toString("hex")}@msn.example`;
  await createSandboxAccount("qq", qqLogin, "qq-password-1", "Ming on QQ");
  await createSandboxAccount("msn", msnLogin, "msn-password-1", "Ming on MSN");
  await openAccounts(page);

  // An empty portal profile: the dialog says QQ's profile will be imported.
  const qqDialog = await openLinkDialog(page, "qq", "QQ");
  await expect(qqDialog.getByRole("status")).toHaveText(LINK_INTENT.import);
  await qqDialog.getByLabel("QQ number").fill(qqLogin);
  await qqDialog.getByLabel("QQ password").fill("qq-password-1");
  await qqDialog.getByRole("checkbox", { name: /I allow OneProfile/ }).check();
  await qqDialog.getByRole("button", { name: "Link QQ" }).click();
  await expect(qqDialog).toBeHidden();
  await expect(accountsNotice(page)).toContainText(`QQ ${qqLogin} is linked. We imported its profile into OneProfile.`);

  await accountsNotice(page).getByRole("link", { name: "See your profile" }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByLabel("Display name")).toHaveValue("Ming on QQ");

  // Now the portal has a profile: the dialog says MSN will be sent it, and MSN ends with it.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Accounts" }).click();
  const msnDialog = await openLinkDialog(page, "msn", "MSN");
  await expect(msnDialog.getByRole("status")).toHaveText(LINK_INTENT.send);
  await msnDialog.getByLabel("MSN email").fill(msnLogin);
  await msnDialog.getByLabel("MSN password").fill("msn-password-1");
  await msnDialog.getByRole("checkbox", { name: /I allow OneProfile/ }).check();
  await msnDialog.getByRole("button", { name: "Link MSN" }).click();
  await expect(msnDialog).toBeHidden();
  await expect(accountsNotice(page)).toContainText(
    `MSN ${msnLogin} is linked. It is being sent your OneProfile profile now.`,
  );
  await expect.poll(async () => (await sandboxAccount("msn", msnLogin)).displayName).toBe("Ming on QQ");

  // Activity shows it as the catch-up delivery of the imported change; QQ was never written to.
  await accountsNotice(page).getByRole("link", { name: "Watch it on Activity" }).click();
  const imported = page.getByTestId("update-1");
  await expect(imported.getByRole("heading")).toHaveText("Display name: “Ming on QQ”");
  await expect(imported).toContainText(`Changed inside QQ (${qqLogin})`);
  await expect(imported.getByTestId("delivery-msn").getByTestId("state")).toHaveText("Delivered");
  await expect(imported.getByTestId("delivery-qq")).toHaveCount(0);
  await expect(page.getByTestId("update-2")).toHaveCount(0);
  expect((await sandboxAccount("qq", qqLogin)).apiWrites).toBe(0);
});

test("XMPP and Bluesky have their own forms; XMPP's server is folded away until asked for", async ({ page }) => {
  await openAccounts(page);
  const xmpp = await openLinkDialog(page, "xmpp", "XMPP (Jabber)");
  await expect(xmpp.getByLabel("XMPP address")).toBeVisible();
  await expect(xmpp.getByLabel("Server", { exact: true })).toBeHidden();
  await xmpp.getByText("Server settings (optional)").click();
  await xmpp.getByLabel("XMPP address").fill("ada@xmpp.example.org");
  await xmpp.getByLabel("XMPP password").fill("a-password");
  await xmpp.getByLabel("Server", { exact: true }).fill("xmpp.example.org:99999");
  await xmpp.getByRole("checkbox", { name: /I allow OneProfile/ }).check();
  await xmpp.getByRole("button", { name: "Link XMPP (Jabber)" }).click();
  // Checked before anything is sent to a server; the message sits by the field.
  await expect(xmpp.getByText("A port is a number from 1 to 65535.")).toBeVisible();
  await expect(xmpp.getByLabel("Server", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await page.keyboard.press("Escape");

  // Bluesky links through its entryway only: no server to name.
  const bluesky = await openLinkDialog(page, "bluesky", "Bluesky");
  await expect(bluesky.getByLabel("Bluesky handle")).toBeVisible();
  await expect(bluesky.getByText("Server settings (optional)")).toHaveCount(0);
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("network-xmpp").getByText("Not linked")).toBeVisible();
});

// Faults apply to a whole network: the tests that inject them into Facebook take turns.
test.describe("with faults injected into Facebook", () => {
  test.describe.configure({ mode: "default" });

  test("a wrong password or a network that is down is explained, and nothing is saved", async ({ page }) => {
    const login = `fb-${randomBytes(4).toString("hex")}@example.com`;
    await createSandboxAccount("facebook", login, "the-right-password");
    await openAccounts(page);

    const dialog = await linkAccount(page, "facebook", "Facebook", login, "a-wrong-password");
    await expect(
      dialog.getByText("Facebook did not accept this Facebook email and password. Nothing was saved."),
    ).toBeVisible();

    await setSandboxFaults("facebook", { isDown: true });
    try {
      await dialog.getByLabel("Facebook password").fill("the-right-password");
      await dialog.getByRole("button", { name: "Link Facebook" }).click();
      await expect(dialog.getByRole("alert")).toHaveText(
        "Facebook is not answering right now. Nothing was saved; please try again in a minute.",
      );
    } finally {
      await setSandboxFaults("facebook", null);
    }
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(page.getByTestId("network-facebook").getByText("Not linked")).toBeVisible();

    // The consent box is required.
    await page.getByTestId("network-fetion").getByRole("button", { name: "Link" }).click();
    const fetion = page.getByRole("dialog", { name: "Link your Fetion account" });
    await fetion.getByLabel("Fetion mobile number").fill("123");
    await fetion.getByLabel("Fetion password").fill("x");
    await fetion.getByRole("button", { name: "Link Fetion" }).click();
    await expect(fetion.getByText("Please allow OneProfile to update this account.")).toBeVisible();
    await fetion.getByRole("checkbox", { name: /I allow OneProfile/ }).check();
    await fetion.getByRole("button", { name: "Link Fetion" }).click();
    await expect(fetion.getByText(/Enter a valid Fetion mobile number/)).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(fetion).toBeHidden();
  });

  test("a delivery Facebook refuses for good shows why, and Retry sends the current profile", async ({ page }) => {
    const login = `fb-${randomBytes(4).toString("hex")}@example.com`;
    await createSandboxAccount("facebook", login, "fb-password-1", "Before the fault");
    await openAccounts(page);
    await expect(await linkAccount(page, "facebook", "Facebook", login, "fb-password-1")).toBeHidden();

    // Facebook refuses every call with a 422, which is not worth retrying: the entry fails at once.
    await setSandboxFaults("facebook", { errorRate: 1, errorStatus: 422 });
    try {
      await page.goto("/profile");
      await expect(page.getByLabel("Display name")).toHaveValue("Before the fault");
      await page.getByLabel("Display name").fill("After the retry");
      await page.getByRole("button", { name: "Save and sync" }).click();
      await expect(page.getByRole("status")).toContainText("Saved. Sending to 1 linked account.");
      await page.goto("/activity");
      const row = page.getByTestId("update-2").getByTestId("delivery-facebook");
      await expect(row.getByTestId("state")).toHaveText("Failed");
      await expect(row.getByTestId("detail")).toHaveText(/^Gave up after \d+ attempts?: Internal error\.$/);
      await expect(row.getByRole("button", { name: "Retry" })).toHaveAccessibleDescription(
        "Retry sends Facebook your current profile now, with a fresh set of attempts.",
      );
    } finally {
      await setSandboxFaults("facebook", null);
    }

    // Retry from the keyboard: the entry is sent again and focus stays on it.
    const row = page.getByTestId("update-2").getByTestId("delivery-facebook");
    await row.getByRole("button", { name: "Retry" }).focus();
    await page.keyboard.press("Enter");
    await expect(row).toBeFocused();
    await expect(row.getByTestId("state")).toHaveText("Delivered");
    await expect(row.getByRole("button", { name: "Retry" })).toHaveCount(0);
    expect((await sandboxAccount("facebook", login)).displayName).toBe("After the retry");
  });
});

test("a change made inside the QQ sandbox reaches OneProfile as a verified webhook", async ({ page, browser }) => {
  const login = qqNumber();
  await createSandboxAccount("qq", login, "qq-password-1");
  await openAccounts(page);
  await linkAccount(page, "qq", "QQ", login, "qq-password-1");
  await expect(page.getByTestId(`account-qq-${login}`)).toBeVisible();

  const vendor = await browser.newPage();
  await vendor.goto(`${e2eServer().sandboxUrl}/qq`);
  await expect(vendor).toHaveTitle("QQ · sandbox");
  await vendor.getByLabel("QQ number").fill(login);
  await vendor.getByLabel("Password").fill("qq-password-1");
  await vendor.getByRole("button", { name: "Sign in" }).click();
  await vendor.getByLabel("Mood", { exact: true }).selectOption("😎");
  await vendor.getByRole("button", { name: "Save" }).click();
  await expect(vendor.getByRole("status")).toHaveText("Saved.");
  await expect(vendor.getByTestId("current-mood")).toHaveText("😎");
  await vendor.close();

  const client = new pg.Client({ connectionString: e2eServer().databaseUrl });
  await client.connect();
  try {
    await expect
      .poll(async () => {
        const { rows } = await client.query<{
          payload: { changed: string[]; profile: { mood: string } };
          linked: boolean;
        }>(
          `SELECT payload, linked_account_id IS NOT NULL AS linked FROM inbound_events WHERE network_id = 'qq' AND login = $1`,
          [login],
        );
        return rows.map((row) => ({
          changed: row.payload.changed,
          mood: row.payload.profile.mood,
          linked: row.linked,
        }));
      })
      .toEqual([{ changed: ["mood"], mood: "😎", linked: true }]);
  } finally {
    await client.end();
  }
});

test("a linking password appears in no server log, no API response and no page", async ({ page }) => {
  const secret = `Pw-${randomBytes(9).toString("hex")}`;
  const wrongSecret = `Wrong-${randomBytes(9).toString("hex")}`;
  const login = qqNumber();
  const msnLogin = `secret-${randomBytes(4).toString("hex")}@msn.example`;
  await createSandboxAccount("qq", login, secret);
  await createSandboxAccount("msn", msnLogin, secret);

  const responses: string[] = [];
  page.on("response", async (response) => {
    if (response.url().includes("/api/")) responses.push(await response.text().catch(() => ""));
  });
  await openAccounts(page);
  const qqDialog = await linkAccount(page, "qq", "QQ", login, wrongSecret);
  await expect(qqDialog.getByText(/QQ did not accept/)).toBeVisible();
  await qqDialog.getByLabel("QQ password").fill(secret);
  await qqDialog.getByRole("button", { name: "Link QQ" }).click();
  await expect(page.getByTestId(`account-qq-${login}`)).toBeVisible();
  await linkAccount(page, "msn", "MSN", msnLogin, secret);
  await expect(page.getByTestId(`account-msn-${msnLogin}`)).toBeVisible();

  await page.reload();
  await expect(page.getByTestId(`account-qq-${login}`)).toBeVisible();
  const pages = [await page.content()];
  for (const path of ["/profile", "/activity", "/accounts"]) {
    await page.goto(path);
    await page.waitForLoadState("networkidle");
    pages.push(await page.content());
  }

  const serverLog = readFileSync(SERVER_LOG, "utf8");
  expect(serverLog).toContain("Ready"); // the capture works: Next.js's own start-up lines are in it
  expect(responses.length).toBeGreaterThan(3);
  expect(responses.some((body) => body.includes(login))).toBe(true);
  for (const text of [...responses, ...pages, serverLog]) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(wrongSecret);
  }
});
