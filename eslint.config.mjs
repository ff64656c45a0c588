import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const config = [
  ...nextVitals,
  ...nextTs,
  {
    ignores: [
      ".next/**",
      "node_modules/**",
      "server/generated/**",
      ".data/**",
      "test-results/**",
      "next-env.d.ts",
      ".stryker-tmp/**",
      "reports/**",
    ],
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // The environment is read in exactly one module (server/env.ts).
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Read configuration from server/env.ts." },
      ],
    },
  },
  {
    // The sandbox is its own program with its own configuration reader and launcher.
    files: [
      "server/env.ts",
      "sandbox/config.ts",
      "sandbox/process.ts",
      "playwright.config.ts",
      "e2e/**",
      "test/**",
      "scripts/test-long.ts",
      "**/*.test.ts",
    ],
    rules: { "no-restricted-properties": "off" },
  },
];

export default config;
