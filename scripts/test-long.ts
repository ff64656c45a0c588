/**
 * The long runs of the suites whose short versions are part of `npm test`:
 *   npm run test:model -- --runs N [--seed S] the convergence model, N random runs (S: the same ones;
 *                                             --seed S --path P replays the one run a failure names)
 *   npm run test:faults -- --users U --saves S the fault suite, U people × 3 networks × S saves per scenario
 *   npm run test:fuzz -- --runs N             the API fuzz test, N inputs per procedure and route
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";

const [suite, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: {
    runs: { type: "string" },
    seed: { type: "string" },
    path: { type: "string" },
    users: { type: "string" },
    saves: { type: "string" },
  },
});
const SUITES: Record<string, { file: string; env: Record<string, string> }> = {
  model: {
    file: "server/dispatch/model.integration.test.ts",
    env: {
      MODEL_RUNS: values.runs ?? "25",
      ...(values.seed ? { MODEL_SEED: values.seed } : {}),
      ...(values.path ? { MODEL_PATH: values.path } : {}),
    },
  },
  faults: {
    file: "server/dispatch/faults.integration.test.ts",
    env: { FAULT_USERS: values.users ?? "100", FAULT_SAVES: values.saves ?? "10" },
  },
  fuzz: {
    file: "server/api/fuzz.integration.test.ts",
    env: { FUZZ_RUNS: values.runs ?? "400", ...(values.seed ? { FUZZ_SEED: values.seed } : {}) },
  },
};
const chosen = suite ? SUITES[suite] : undefined;
if (!chosen) {
  console.error(`Usage: tsx scripts/test-long.ts <${Object.keys(SUITES).join("|")}> [--runs N] [--users U --saves S]`);
  process.exit(2);
}
// vitest's entry script (its package exports do not list it, so take it from its folder).
const vitest = path.join(path.dirname(createRequire(import.meta.url).resolve("vitest/package.json")), "vitest.mjs");
const result = spawnSync(process.execPath, [vitest, "run", chosen.file], {
  stdio: "inherit",
  env: { ...process.env, ...chosen.env },
});
process.exit(result.status ?? 1);
