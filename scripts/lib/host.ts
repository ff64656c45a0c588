/** What the install helpers (./browser.ts, ./prosody.ts) ask of the real machine. */
import { spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import path from "node:path";
import { childEnv } from "../../server/env";

/** The path of `command` on PATH, if it is there. */
export function which(command: string): string | undefined {
  for (const dir of (childEnv({}).PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Debian itself (not a derivative), from /etc/os-release. */
export function isDebian(): boolean {
  try {
    return /^ID="?debian"?$/m.test(readFileSync("/etc/os-release", "utf8"));
  } catch {
    return false;
  }
}

/** Runs a command with its output shown; true if it exited 0. */
export function succeeds(command: string, args: string[], extraEnv: Record<string, string> = {}): boolean {
  return spawnSync(command, args, { stdio: "inherit", env: childEnv(extraEnv) }).status === 0;
}
