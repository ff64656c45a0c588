/**
 * `npm run test:e2e`: a Chromium (found, or installed on a fresh machine), a production build,
 * then Playwright (which starts scripts/e2e-server.ts). `-- --list` lists the tests without
 * building.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { chromium } from "@playwright/test";
import { E2E_CHROMIUM_ENV } from "../e2e/config";
import { childEnv } from "../server/env";
import { chromiumLaunchOptions, ensureChromium, realBrowserHost } from "./lib/browser";
import { NEXT_BIN } from "./lib/run-next";

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

const playwrightChromium = chromium.executablePath();
const browser = ensureChromium(realBrowserHost(playwrightChromium));
if (!browser.executablePath) {
  console.error(browser.message);
  process.exit(1);
}
console.log(browser.message);

const env = childEnv({ NEXT_TELEMETRY_DISABLED: "1", [E2E_CHROMIUM_ENV]: browser.executablePath });

function run(command: string[]): void {
  const result = spawnSync(process.execPath, command, { stdio: "inherit", env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (!args.includes("--list")) {
  // Start it once before the minutes-long build: a browser that cannot start (missing system
  // libraries, a broken package) stops here with Playwright's explanation, not in every test.
  try {
    const launched = await chromium.launch(chromiumLaunchOptions(browser.executablePath, playwrightChromium));
    await launched.close();
  } catch (error) {
    console.error(`Chromium at ${browser.executablePath} does not start:\n${(error as Error).message}`);
    process.exit(1);
  }
  run([NEXT_BIN, "build"]);
}
run([require.resolve("@playwright/test/cli"), "test", ...args]);
