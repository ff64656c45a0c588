import { test as setup } from "@playwright/test";
import { USER_STATE } from "./config";
import { signUp, uniqueEmail } from "./helpers";

/** Signs a fresh user up once and saves the session for the signed-in tests. */
setup("sign up and save the session", async ({ page }) => {
  await signUp(page, uniqueEmail("session"));
  await page.context().storageState({ path: USER_STATE });
});
