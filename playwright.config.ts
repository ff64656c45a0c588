import { chromium, defineConfig, devices } from "@playwright/test";
import { E2E_BASE_URL, E2E_CHROMIUM_ENV, USER_STATE } from "./e2e/config";
import { chromiumLaunchOptions, findInstalledChromium, realBrowserHost } from "./scripts/lib/browser";

// `npm run test:e2e` finds or installs a Chromium first and names it here; run directly
// (`npx playwright test`), the config looks for one already installed and installs nothing.
const playwrightChromium = chromium.executablePath();
const executablePath =
  process.env[E2E_CHROMIUM_ENV] ?? findInstalledChromium(realBrowserHost(playwrightChromium))?.executablePath;
const launchOptions = chromiumLaunchOptions(executablePath ?? undefined, playwrightChromium);

export default defineConfig({
  testDir: "e2e",
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: [["list"]],
  // Two cores run the browser, Next.js, the worker, the sandbox and Postgres at once: tests that
  // walk through several pages get room; nothing here measures speed (that is bench/).
  timeout: 90_000,
  expect: { timeout: 15_000 },
  use: {
    baseURL: E2E_BASE_URL,
    trace: "retain-on-failure",
    launchOptions,
  },
  projects: [
    { name: "setup", testMatch: /auth\.setup\.ts/, use: { ...devices["Desktop Chrome"] } },
    {
      name: "signed-out",
      testMatch: /(auth|accounts|admin|sync|security-headers)\.spec\.ts/,
      use: { ...devices["Desktop Chrome"] },
    },
    {
      name: "signed-in",
      testMatch: /app\.spec\.ts/,
      dependencies: ["setup"],
      use: { ...devices["Desktop Chrome"], storageState: USER_STATE },
    },
  ],
  webServer: {
    command: "npx tsx scripts/e2e-server.ts",
    url: `${E2E_BASE_URL}/api/health`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
  },
});
