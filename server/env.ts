/**
 * The one module that reads the environment. Everything else imports `env` from here.
 *
 * In development and tests, secrets that are not set are generated once into the data
 * directory (`.data/secrets.json`), so a newcomer needs no `.env`. In production a missing
 * secret stops the start with a message that names it.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

const ZEnv = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  /** Any PostgreSQL server. Unset: the launchers start embedded Postgres under the data dir. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /** Signs and encrypts session tokens (next-auth). */
  NEXTAUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  /** The portal's public URL; next-auth builds its callback URLs from it. */
  NEXTAUTH_URL: z.url().optional(),
  /** Port of the portal. */
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** Where dev data lives: embedded Postgres cluster and generated secrets. */
  ONEPROFILE_DATA_DIR: z.string().min(1).default(".data"),
  /** Port of the embedded Postgres (only used when DATABASE_URL is unset). */
  ONEPROFILE_EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
});

export type TEnv = z.infer<typeof ZEnv> & { NEXTAUTH_SECRET: string };

/** Secrets that development generates on first use and production requires. */
const GENERATED_SECRETS = ["NEXTAUTH_SECRET"] as const;

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`).join("\n");
}

function loadDevSecrets(dataDir: string): Record<string, string> {
  const file = path.join(dataDir, "secrets.json");
  const stored: Record<string, string> = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, string>)
    : {};
  let changed = false;
  for (const name of GENERATED_SECRETS) {
    if (!stored[name]) {
      stored[name] = randomBytes(32).toString("base64url");
      changed = true;
    }
  }
  if (changed) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2) + "\n", { mode: 0o600 });
  }
  return stored;
}

/** Validates `source`; exported for tests. */
export function loadEnv(source: NodeJS.ProcessEnv): TEnv {
  const parsed = ZEnv.safeParse(source);
  if (!parsed.success) {
    throw new Error(`OneProfile: invalid configuration:\n${describe(parsed.error)}`);
  }
  const values = parsed.data;
  const missing = GENERATED_SECRETS.filter((name) => !values[name]);
  if (missing.length > 0) {
    if (values.NODE_ENV === "production") {
      throw new Error(`OneProfile: ${missing.join(", ")} must be set in production (see README, "Configuration").`);
    }
    const generated = loadDevSecrets(path.resolve(values.ONEPROFILE_DATA_DIR));
    for (const name of missing) values[name] = generated[name];
  }
  return values as TEnv;
}

let cached: TEnv | undefined;

/**
 * The validated configuration. Read lazily on first use, so that `next build` can import
 * modules without production secrets; the launchers (`scripts/`) touch it before starting
 * anything, so a bad configuration still stops the start.
 */
export const env: TEnv = new Proxy({} as TEnv, {
  get: (_target, key) => (cached ??= loadEnv(process.env))[key as keyof TEnv],
});

/** The environment for a child process this one starts: ours plus `extra`. */
export function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
