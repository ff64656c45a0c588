import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

/** The Prisma client, through server/db or straight from the generated code or @prisma/*. */
const DATABASE_IMPORTS = [
  {
    regex: "^(@/server/|(\\.\\./)+(server/)?)db(\\.[jt]s)?$",
    message: "The database is reached through server modules (tRPC, server/api/server.ts, a route's server function).",
  },
  {
    regex: "(^|/)generated/prisma(/|$)|^@prisma/",
    message: "Prisma stays behind server modules; import their DTOs and domain types instead.",
  },
];

const config = [
  ...nextVitals,
  ...nextTs,
  {
    ignores: [
      ".next/**",
      "**/node_modules/**",
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
    // Thin edges: pages and route handlers call server modules, which own the queries. Tests seed
    // their own data.
    files: ["app/**"],
    ignores: ["**/*.test.ts", "**/*.test.tsx"],
    rules: { "no-restricted-imports": ["error", { patterns: DATABASE_IMPORTS }] },
  },
  {
    // The sync core is pure (data in, deliveries out) and a connector only speaks to its vendor:
    // neither touches the database, tRPC or Next.js.
    files: ["server/sync/**", "server/connectors/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...DATABASE_IMPORTS,
            {
              regex: "^(@trpc/|next(-auth)?(/|$)|@/server/api/|(\\.\\./)+api/)",
              message: "server/sync and server/connectors stay free of tRPC and Next.js.",
            },
          ],
        },
      ],
    },
  },
  {
    // The sandbox is an emulated vendor: OneProfile knows it only through its API, as it knows a real
    // network (server/connectors/sandbox/ encodes what that API documents). Tests may start it.
    files: ["server/**", "app/**"],
    ignores: ["**/*.test.ts", "**/*.test.tsx"],
    rules: {
      "import/no-restricted-paths": [
        "error",
        {
          zones: [
            {
              target: ["./server", "./app"],
              from: "./sandbox",
              message: "OneProfile speaks to the sandbox through its API only (server/connectors/sandbox/).",
            },
          ],
        },
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
