import { describe, expect, it } from "vitest";
import { chromiumLaunchOptions, ensureChromium, findInstalledChromium, type TBrowserHost } from "./browser";

const PLAYWRIGHTS = "/root/.cache/ms-playwright/chromium-1255/chrome-linux64/chrome";

/**
 * A fake machine: `files` exist and `path` maps commands on PATH; an install that `can*` adds
 * what the real one would. `ran` records every install, in order.
 */
function fakeHost(options: {
  files?: string[];
  path?: Record<string, string>;
  canDownload?: boolean;
  canInstallDeps?: boolean;
  canApt?: boolean;
  isRoot?: boolean;
  isDebian?: boolean;
}) {
  const files = new Set(options.files ?? []);
  const onPath = { ...options.path };
  const ran: string[] = [];
  const host: TBrowserHost = {
    which: (command) => onPath[command],
    exists: (file) => files.has(file),
    playwrightChromium: PLAYWRIGHTS,
    installPlaywrightChromium: () => {
      ran.push("playwright install chromium");
      if (options.canDownload) files.add(PLAYWRIGHTS);
      return options.canDownload ?? false;
    },
    installPlaywrightDeps: () => {
      ran.push("playwright install-deps chromium");
      return options.canInstallDeps ?? false;
    },
    installDebianChromium: () => {
      ran.push("apt-get install chromium");
      if (!options.canApt) return false;
      files.add("/usr/bin/chromium");
      onPath.chromium = "/usr/bin/chromium";
      return true;
    },
    isRoot: options.isRoot ?? false,
    isDebian: options.isDebian ?? true,
  };
  return { host, ran };
}

describe("ensureChromium", () => {
  it("uses Debian's chromium on PATH, before Playwright's, and installs nothing", () => {
    const { host, ran } = fakeHost({
      files: ["/usr/bin/chromium", PLAYWRIGHTS],
      path: { chromium: "/usr/bin/chromium" },
      canDownload: true,
      isRoot: true,
    });
    expect(ensureChromium(host)).toEqual({
      executablePath: "/usr/bin/chromium",
      message: "Using Debian's Chromium at /usr/bin/chromium",
    });
    expect(ran).toEqual([]);
  });

  it("finds /usr/bin/chromium even when PATH does not include /usr/bin", () => {
    const { host, ran } = fakeHost({ files: ["/usr/bin/chromium"], canDownload: true });
    expect(ensureChromium(host).executablePath).toBe("/usr/bin/chromium");
    expect(ran).toEqual([]);
  });

  it("uses Playwright's own Chromium when it is the only one", () => {
    const { host, ran } = fakeHost({ files: [PLAYWRIGHTS], canDownload: true, isRoot: true });
    expect(ensureChromium(host)).toEqual({
      executablePath: PLAYWRIGHTS,
      message: `Using Playwright's Chromium at ${PLAYWRIGHTS}`,
    });
    expect(ran).toEqual([]);
  });

  it("with none, downloads Playwright's; not root, it leaves the system libraries to Playwright's check", () => {
    const { host, ran } = fakeHost({ canDownload: true, canInstallDeps: true });
    expect(ensureChromium(host)).toEqual({
      executablePath: PLAYWRIGHTS,
      message: `Installed Playwright's Chromium at ${PLAYWRIGHTS}`,
    });
    expect(ran).toEqual(["playwright install chromium"]);
  });

  it("with none, as root on Debian, downloads Playwright's and then its system libraries", () => {
    const { host, ran } = fakeHost({ canDownload: true, canInstallDeps: true, isRoot: true });
    expect(ensureChromium(host)).toEqual({
      executablePath: PLAYWRIGHTS,
      message: `Installed Playwright's Chromium and its system libraries at ${PLAYWRIGHTS}`,
    });
    expect(ran).toEqual(["playwright install chromium", "playwright install-deps chromium"]);
  });

  it("says so when the system libraries could not be installed, and still uses the download", () => {
    const { host } = fakeHost({ canDownload: true, canInstallDeps: false, isRoot: true });
    expect(ensureChromium(host)).toEqual({
      executablePath: PLAYWRIGHTS,
      message: `Installed Playwright's Chromium (its system libraries could not be installed, see above) at ${PLAYWRIGHTS}`,
    });
  });

  it("does not trust an install that reports success but leaves no browser", () => {
    const { host } = fakeHost({});
    host.installPlaywrightChromium = () => true;
    expect(ensureChromium(host).executablePath).toBeNull();
  });

  it("with none and the download refused, as root on Debian, installs Debian's chromium with apt-get", () => {
    const { host, ran } = fakeHost({ canDownload: false, canApt: true, isRoot: true });
    expect(ensureChromium(host)).toEqual({
      executablePath: "/usr/bin/chromium",
      message: "Playwright's download failed; installed Debian's Chromium at /usr/bin/chromium",
    });
    // Playwright's system libraries are not installed for a download that failed.
    expect(ran).toEqual(["playwright install chromium", "apt-get install chromium"]);
  });

  it("with none and the download refused, not root, stops with one line naming what to run", () => {
    const { host, ran } = fakeHost({ canDownload: false, canApt: true, isRoot: false });
    expect(ensureChromium(host)).toEqual({
      executablePath: null,
      message:
        "No browser for the browser tests: Playwright's download failed (see above); run `npx playwright install chromium` when it is reachable, or as root `apt-get install -y chromium`",
    });
    expect(ran).toEqual(["playwright install chromium"]);
  });

  it("stops with one line when both the download and apt-get fail as root", () => {
    const { host, ran } = fakeHost({ canDownload: false, canApt: false, isRoot: true });
    const choice = ensureChromium(host);
    expect(choice.executablePath).toBeNull();
    expect(choice.message).toMatch(/^No browser for the browser tests: both .* failed/);
    expect(choice.message).not.toContain("\n");
    expect(ran).toEqual(["playwright install chromium", "apt-get install chromium"]);
  });

  it("off Debian, never runs apt (not even as root) and names only Playwright's install", () => {
    const { host, ran } = fakeHost({
      canDownload: false,
      canInstallDeps: true,
      canApt: true,
      isRoot: true,
      isDebian: false,
    });
    expect(ensureChromium(host)).toEqual({
      executablePath: null,
      message:
        "No browser for the browser tests: Playwright's download failed (see above); run `npx playwright install chromium` when it is reachable",
    });
    expect(ran).toEqual(["playwright install chromium"]);
  });

  it("off Debian, downloads Playwright's without touching the system libraries, even as root", () => {
    const { host, ran } = fakeHost({ canDownload: true, canInstallDeps: true, isRoot: true, isDebian: false });
    expect(ensureChromium(host).message).toBe(`Installed Playwright's Chromium at ${PLAYWRIGHTS}`);
    expect(ran).toEqual(["playwright install chromium"]);
  });

  it("off Debian, uses a chromium on PATH as the system's", () => {
    const { host } = fakeHost({ path: { chromium: "/opt/homebrew/bin/chromium" }, isDebian: false });
    expect(ensureChromium(host).message).toBe("Using the system's Chromium at /opt/homebrew/bin/chromium");
  });
});

describe("findInstalledChromium", () => {
  it("installs nothing when there is no browser", () => {
    const { host, ran } = fakeHost({ canDownload: true, canApt: true, isRoot: true });
    expect(findInstalledChromium(host)).toBeUndefined();
    expect(ran).toEqual([]);
  });
});

describe("chromiumLaunchOptions", () => {
  it("launches Playwright's own build by channel, so Playwright checks its system libraries", () => {
    expect(chromiumLaunchOptions(PLAYWRIGHTS, PLAYWRIGHTS)).toEqual({ channel: "chromium" });
    expect(chromiumLaunchOptions(undefined, PLAYWRIGHTS)).toEqual({ channel: "chromium" });
  });

  it("launches a system Chromium by its path", () => {
    expect(chromiumLaunchOptions("/usr/bin/chromium", PLAYWRIGHTS)).toMatchObject({
      executablePath: "/usr/bin/chromium",
    });
  });
});
