/**
 * Which Prosody (an XMPP server) the XMPP integration tests start, and getting one onto a fresh
 * machine, the way `browser.ts` finds Chromium. The decision is pure: everything it asks of the
 * machine comes in as a `TProsodyHost`, so the tests can hand it fake machines;
 * `realProsodyHost()` is the real one.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { isDebian, succeeds, which } from "./host";

/** Where Debian's `prosody` package puts its two programs. */
export const DEBIAN_PROSODY = "/usr/bin/prosody";
export const DEBIAN_PROSODYCTL = "/usr/bin/prosodyctl";

export interface TProsodyHost {
  /** The path of `command` on PATH, if it is there. */
  which: (command: string) => string | undefined;
  exists: (file: string) => boolean;
  /** `apt-get update && apt-get install -y --no-install-recommends prosody`; true if it worked. */
  installDebianProsody: () => boolean;
  /** Whether the package's own system service (port 5222) is running. */
  isSystemProsodyRunning: () => boolean;
  /** Stops the package's system service and keeps it from starting at boot; true if it worked. */
  stopSystemProsody: () => boolean;
  isRoot: boolean;
  isDebian: boolean;
}

export interface TProsodyBinaries {
  /** The server (started in the foreground with its own `--config`). */
  prosody: string;
  /** Its control program (`--config FILE register USER HOST PASSWORD`). */
  prosodyctl: string;
}

/** `binaries` null: there is none, and `message` says what to run. */
export interface TProsodyChoice {
  binaries: TProsodyBinaries | null;
  message: string;
}

function locate(host: TProsodyHost, command: string, debianPath: string): string | undefined {
  return host.which(command) ?? (host.exists(debianPath) ? debianPath : undefined);
}

/** Prosody already on this machine: both programs, on PATH or where Debian puts them. */
export function findInstalledProsody(host: TProsodyHost): TProsodyBinaries | undefined {
  const prosody = locate(host, "prosody", DEBIAN_PROSODY);
  const prosodyctl = locate(host, "prosodyctl", DEBIAN_PROSODYCTL);
  return prosody && prosodyctl ? { prosody, prosodyctl } : undefined;
}

/**
 * A Prosody for the XMPP tests: one already installed, else (as root on Debian) Debian's package.
 * A system service that the install itself started is stopped: the tests run their own servers
 * on free loopback ports, and a daemon nobody asked for should not stay on 5222. A Prosody that was
 * there before is left alone. `message` is the one line to print: what was done, or what to run.
 */
export function ensureProsody(host: TProsodyHost): TProsodyChoice {
  const installed = findInstalledProsody(host);
  if (installed) return { binaries: installed, message: `Using Prosody at ${installed.prosody}` };

  if (!(host.isRoot && host.isDebian)) {
    const how = host.isDebian
      ? "run `sudo apt-get install -y prosody`"
      : "install Prosody 0.12 or later (`prosody` and `prosodyctl` on PATH)";
    return { binaries: null, message: `No Prosody for the XMPP tests: ${how}, then run the tests again` };
  }
  const binaries = host.installDebianProsody() ? findInstalledProsody(host) : undefined;
  if (!binaries) {
    return {
      binaries: null,
      message:
        "No Prosody for the XMPP tests: `apt-get install -y prosody` failed (see above); fix the package sources, then run the tests again",
    };
  }
  if (!host.isSystemProsodyRunning()) {
    return { binaries, message: `Installed Debian's Prosody at ${binaries.prosody}` };
  }
  const stopped = host.stopSystemProsody()
    ? "stopped the system service it started"
    : "its system service is running and could not be stopped (see above)";
  return { binaries, message: `Installed Debian's Prosody at ${binaries.prosody}; ${stopped}` };
}

/** systemd is the init system (not a container without one, where the package's init script runs). */
function hasSystemd(): boolean {
  return existsSync("/run/systemd/system");
}

/** The pid in the package's pidfile is alive. */
function isPackagePidAlive(): boolean {
  try {
    const pid = Number(readFileSync("/run/prosody/prosody.pid", "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** This machine. */
export function realProsodyHost(): TProsodyHost {
  const aptEnv = { DEBIAN_FRONTEND: "noninteractive" };
  return {
    which,
    exists: existsSync,
    installDebianProsody: () =>
      succeeds("apt-get", ["update", "-qq"], aptEnv) &&
      succeeds("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "prosody"], aptEnv),
    isSystemProsodyRunning: () =>
      hasSystemd() ? spawnSync("systemctl", ["is-active", "--quiet", "prosody"]).status === 0 : isPackagePidAlive(),
    stopSystemProsody: () =>
      hasSystemd()
        ? succeeds("systemctl", ["disable", "--now", "prosody"])
        : succeeds("/etc/init.d/prosody", ["stop"]) && !isPackagePidAlive(),
    isRoot: process.getuid?.() === 0,
    isDebian: isDebian(),
  };
}
