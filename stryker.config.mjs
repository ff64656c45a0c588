// Mutation testing of the pure sync core (`npm run test:mutation`): Stryker changes server/sync's
// code one mutant at a time and runs its unit tests; a mutant no test catches is a rule no test
// states. The run fails below the `break` score (CI runs it).
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
const config = {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts" },
  mutate: ["server/sync/**/*.ts", "!server/sync/**/*.test.ts"],
  coverageAnalysis: "perTest",
  // Mutants of module-level constants (tables, regexes) would re-run every test for each: they are
  // left out of the score; the tables are checked by the tests that read them.
  ignoreStatic: true,
  reporters: ["clear-text", "progress"],
  thresholds: { high: 95, low: 90, break: 90 },
  concurrency: 2,
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};

export default config;
