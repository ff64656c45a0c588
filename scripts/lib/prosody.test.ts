import { describe, expect, it } from "vitest";
import { ensureProsody, findInstalledProsody, type TProsodyHost } from "./prosody";

/**
 * A fake machine: `files` exist and `path` maps commands on PATH; an install that `canApt` adds
 * what the real one would, and starts the system service when `isStartingService`. `ran` records
 * every install and stop, in order.
 */
function fakeHost(options: {
  files?: string[];
  path?: Record<string, string>;
  canApt?: boolean;
  isStartingService?: boolean;
  canStop?: boolean;
  isRoot?: boolean;
  isDebian?: boolean;
}) {
  const files = new Set(options.files ?? []);
  const onPath = { ...options.path };
  const ran: string[] = [];
  let isServiceRunning = false;
  const host: TProsodyHost = {
    which: (command) => onPath[command],
    exists: (file) => files.has(file),
    installDebianProsody: () => {
      ran.push("apt-get install prosody");
      if (!options.canApt) return false;
      for (const command of ["prosody", "prosodyctl"]) {
        files.add(`/usr/bin/${command}`);
        onPath[command] = `/usr/bin/${command}`;
      }
      isServiceRunning = options.isStartingService ?? false;
      return true;
    },
    isSystemProsodyRunning: () => isServiceRunning,
    stopSystemProsody: () => {
      ran.push("stop system prosody");
      if (options.canStop) isServiceRunning = false;
      return options.canStop ?? false;
    },
    isRoot: options.isRoot ?? false,
    isDebian: options.isDebian ?? true,
  };
  return { host, ran };
}

const DEBIANS = { prosody: "/usr/bin/prosody", prosodyctl: "/usr/bin/prosodyctl" };

describe("ensureProsody", () => {
  it("uses the programs on PATH and installs nothing", () => {
    const { host, ran } = fakeHost({
      path: { prosody: "/opt/prosody/bin/prosody", prosodyctl: "/opt/prosody/bin/prosodyctl" },
      canApt: true,
      isRoot: true,
    });
    expect(ensureProsody(host)).toEqual({
      binaries: { prosody: "/opt/prosody/bin/prosody", prosodyctl: "/opt/prosody/bin/prosodyctl" },
      message: "Using Prosody at /opt/prosody/bin/prosody",
    });
    expect(ran).toEqual([]);
  });

  it("finds Debian's programs in /usr/bin even when PATH does not include it", () => {
    const { host, ran } = fakeHost({ files: [DEBIANS.prosody, DEBIANS.prosodyctl], canApt: true, isRoot: true });
    expect(ensureProsody(host).binaries).toEqual(DEBIANS);
    expect(ran).toEqual([]);
  });

  it("does not count a server without its control program as installed", () => {
    const { host } = fakeHost({ files: [DEBIANS.prosody] });
    expect(findInstalledProsody(host)).toBeUndefined();
    expect(ensureProsody(host).binaries).toBeNull();
  });

  it("leaves a system Prosody that was there before alone", () => {
    const { host, ran } = fakeHost({ files: [DEBIANS.prosody, DEBIANS.prosodyctl], canStop: true, isRoot: true });
    ensureProsody(host);
    expect(ran).toEqual([]);
  });

  it("as root on Debian, installs the package and says so", () => {
    const { host, ran } = fakeHost({ canApt: true, isRoot: true });
    expect(ensureProsody(host)).toEqual({
      binaries: DEBIANS,
      message: "Installed Debian's Prosody at /usr/bin/prosody",
    });
    expect(ran).toEqual(["apt-get install prosody"]);
  });

  it("stops the system service the install started, so nothing stays on port 5222", () => {
    const { host, ran } = fakeHost({ canApt: true, isStartingService: true, canStop: true, isRoot: true });
    expect(ensureProsody(host)).toEqual({
      binaries: DEBIANS,
      message: "Installed Debian's Prosody at /usr/bin/prosody; stopped the system service it started",
    });
    expect(ran).toEqual(["apt-get install prosody", "stop system prosody"]);
    expect(host.isSystemProsodyRunning()).toBe(false);
  });

  it("still uses the installed Prosody when its service cannot be stopped, and says so", () => {
    const { host } = fakeHost({ canApt: true, isStartingService: true, canStop: false, isRoot: true });
    const choice = ensureProsody(host);
    expect(choice.binaries).toEqual(DEBIANS);
    expect(choice.message).toMatch(/could not be stopped/);
  });

  it("as root on Debian, a failed install returns null and names the command", () => {
    const { host, ran } = fakeHost({ canApt: false, isRoot: true });
    const choice = ensureProsody(host);
    expect(choice.binaries).toBeNull();
    expect(choice.message).toMatch(/^No Prosody for the XMPP tests: `apt-get install -y prosody` failed/);
    expect(ran).toEqual(["apt-get install prosody"]);
  });

  it("not root, installs nothing and tells what to run", () => {
    const { host, ran } = fakeHost({ canApt: true, isRoot: false });
    expect(ensureProsody(host)).toEqual({
      binaries: null,
      message: "No Prosody for the XMPP tests: run `sudo apt-get install -y prosody`, then run the tests again",
    });
    expect(ran).toEqual([]);
  });

  it("not on Debian, installs nothing and names the programs needed", () => {
    const { host, ran } = fakeHost({ canApt: true, isRoot: true, isDebian: false });
    const choice = ensureProsody(host);
    expect(choice.binaries).toBeNull();
    expect(choice.message).toMatch(/install Prosody 0\.12 or later \(`prosody` and `prosodyctl` on PATH\)/);
    expect(ran).toEqual([]);
  });
});
