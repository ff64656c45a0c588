/**
 * Which Chromium the browser tests use, and getting one onto a fresh machine. The decision is
 * pure: everything it asks of the machine comes in as a `TBrowserHost`, so the tests can hand it
 * fake machines; `realBrowserHost()` is the real one.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { isDebian, succeeds, which } from "./host";

/** Where Debian's `chromium` package puts the browser. */
export const DEBIAN_CHROMIUM = "/usr/bin/chromium";

export interface TBrowserHost {
  /** The path of `command` on PATH, if it is there. */
  which: (command: string) => string | undefined;
  exists: (file: string) => boolean;
  /** Where Playwright keeps its own Chromium (`chromium.executablePath()`), installed or not. */
  playwrightChromium: string;
  /** `playwright install chromium` (a download); true if it worked. */
  installPlaywrightChromium: () => boolean;
  /** `playwright install-deps chromium`: the system libraries its build needs, via apt; true if it worked. */
  installPlaywrightDeps: () => boolean;
  /** `apt-get install -y chromium`; true if it worked. */
  installDebianChromium: () => boolean;
  isRoot: boolean;
  /** Debian itself, where the `chromium` package is the real browser (Ubuntu's is a snap stub). */
  isDebian: boolean;
}

/** `executablePath` null: there is none, and `message` says what to run. */
export interface TBrowserChoice {
  executablePath: string | null;
  message: string;
}

function systemChromium(host: TBrowserHost): string | undefined {
  return host.which("chromium") ?? (host.exists(DEBIAN_CHROMIUM) ? DEBIAN_CHROMIUM : undefined);
}

/** Chromium already on this machine: the system's (Debian's package), then Playwright's own. */
export function findInstalledChromium(host: TBrowserHost): TBrowserChoice | undefined {
  const system = systemChromium(host);
  if (system) {
    const whose = host.isDebian ? "Debian's" : "the system's";
    return { executablePath: system, message: `Using ${whose} Chromium at ${system}` };
  }
  if (host.exists(host.playwrightChromium)) {
    const file = host.playwrightChromium;
    return { executablePath: file, message: `Using Playwright's Chromium at ${file}` };
  }
  return undefined;
}

/**
 * A Chromium for the browser tests: one already installed, else Playwright's download, else (as
 * root on Debian, when the download is not reachable) Debian's package. `message` is the one line
 * to print: what was done, or what the person has to run.
 */
export function ensureChromium(host: TBrowserHost): TBrowserChoice {
  const installed = findInstalledChromium(host);
  if (installed) return installed;

  if (host.installPlaywrightChromium() && host.exists(host.playwrightChromium)) {
    const file = host.playwrightChromium;
    // Playwright's build needs libraries a fresh Debian lacks (libnss3, ...); as root we add them.
    // Without root, Playwright's own check names them when it first launches the browser.
    if (!(host.isRoot && host.isDebian)) {
      return { executablePath: file, message: `Installed Playwright's Chromium at ${file}` };
    }
    const libraries = host.installPlaywrightDeps()
      ? "and its system libraries"
      : "(its system libraries could not be installed, see above)";
    return {
      executablePath: file,
      message: `Installed Playwright's Chromium ${libraries} at ${file}`,
    };
  }
  if (host.isRoot && host.isDebian) {
    const system = host.installDebianChromium() ? systemChromium(host) : undefined;
    if (system) {
      return {
        executablePath: system,
        message: `Playwright's download failed; installed Debian's Chromium at ${system}`,
      };
    }
    return {
      executablePath: null,
      message:
        "No browser for the browser tests: both Playwright's download and `apt-get install -y chromium` failed (see above); fix the network or the package sources, then run `npm test` again",
    };
  }
  const apt = host.isDebian ? ", or as root `apt-get install -y chromium`" : "";
  return {
    executablePath: null,
    message: `No browser for the browser tests: Playwright's download failed (see above); run \`npx playwright install chromium\` when it is reachable${apt}`,
  };
}

/** What Playwright launches for `executablePath` (the one playwright.config.ts and scripts/e2e.ts share). */
export function chromiumLaunchOptions(executablePath: string | undefined, playwrightChromium: string) {
  // Playwright's own build goes by its channel, so that Playwright first checks the system
  // libraries it needs and names the missing ones (it skips that check for an executablePath).
  if (!executablePath || executablePath === playwrightChromium) return { channel: "chromium" };
  return {
    executablePath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  };
}

/** This machine. `playwrightChromium` comes from the caller, which has Playwright loaded. */
export function realBrowserHost(playwrightChromium: string): TBrowserHost {
  const require = createRequire(import.meta.url);
  const playwrightCli = require.resolve("@playwright/test/cli");
  const aptEnv = { DEBIAN_FRONTEND: "noninteractive" };
  return {
    which,
    exists: existsSync,
    playwrightChromium,
    // No headless shell: the tests launch the full build (by channel, see above).
    installPlaywrightChromium: () => succeeds(process.execPath, [playwrightCli, "install", "--no-shell", "chromium"]),
    installPlaywrightDeps: () => succeeds(process.execPath, [playwrightCli, "install-deps", "chromium"], aptEnv),
    installDebianChromium: () =>
      succeeds("apt-get", ["update", "-qq"], aptEnv) &&
      succeeds("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium"], aptEnv),
    isRoot: process.getuid?.() === 0,
    isDebian: isDebian(),
  };
}
