import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
/** tsx's loader, registered in the same Node process (no wrapper process in between). */
const TSX_LOADER = pathToFileURL(require.resolve("tsx")).href;

/**
 * Runs a TypeScript entry point as ONE Node process. (The `tsx` command starts a second process
 * under itself; signals sent to the first, including a kill -9, would leave the real one running.)
 */
export function spawnTs(
  entry: string,
  options: SpawnOptions,
  args: readonly string[] = [],
  nodeArgs: readonly string[] = [],
): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, "--import", TSX_LOADER, entry, ...args], options);
}
