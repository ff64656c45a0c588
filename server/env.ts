/**
 * The one module that reads the environment. Everything else imports `env` from here.
 *
 * In development and tests, secrets that are not set are generated once into the data
 * directory (`.data/secrets.json`), so a newcomer needs no `.env`. In production nothing is
 * generated: a missing secret stops the start with one message that names every missing one.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { MAX_TRUSTED_PROXY_HOPS } from "./http/trusted-address";

/** "<key id>:<base64 of 32 bytes>"; the id names the key inside every ciphertext. */
const ENCRYPTION_KEY_PATTERN = /^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=$/;

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
  /** Encrypts linked-account credentials: "<key id>:<32 bytes, base64>". */
  ONEPROFILE_ENCRYPTION_KEY: z
    .string()
    .regex(ENCRYPTION_KEY_PATTERN, 'must look like "<key id>:<32 bytes in base64>"')
    .optional(),
  /** Earlier keys, comma-separated, still accepted for decryption until `npm run keys:rotate`. */
  ONEPROFILE_ENCRYPTION_OLD_KEYS: z
    .string()
    .refine(
      (value) => value.split(",").every((key) => ENCRYPTION_KEY_PATTERN.test(key.trim())),
      'must be a comma-separated list of "<key id>:<32 bytes in base64>"',
    )
    .optional(),
  /** The sandbox third-party server. Unset in dev: `npm run dev` starts one on SANDBOX_PORT.
   * Unset in production: the sandbox networks (a demo, not a vendor) are off. */
  SANDBOX_URL: z.url().optional(),
  /** Port for the sandbox that `npm run dev` starts. */
  SANDBOX_PORT: z.coerce.number().int().min(1).max(65535).default(4010),
  /** Jobs (accounts) one worker works on at the same time: vendor calls in flight. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  /** Jobs one claim takes and one recorder transaction settles at most. */
  WORKER_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(64),
  /** How long a worker's hold on an account lasts unless renewed (it renews every third of it
   * while a job runs); after a crash, another worker takes the account over once it runs out. */
  WORKER_LEASE_MS: z.coerce.number().int().min(1000).default(30_000),
  /** Test-only: servers a person types (XMPP, a Bluesky PDS) may be on loopback. Refused in production. */
  CONNECTOR_LOOPBACK_ALLOWED: z.stringbool().default(false),
  /** Test-only: SRV answers for XMPP domains that have none, `domain=host:port,…`. Refused in production. */
  XMPP_TEST_SRV: z
    .string()
    .regex(/^([a-z0-9.-]+=[a-z0-9.-]+:\d{1,5})(,[a-z0-9.-]+=[a-z0-9.-]+:\d{1,5})*$/, "domain=host:port,…")
    .optional(),
  /** Where Bluesky sessions are opened: the entryway that finds each account's PDS. */
  BLUESKY_SERVICE: z.url({ protocol: /^https?$/ }).default("https://bsky.social"),
  /** A vendor request that takes longer than this counts as a timeout (retried). */
  CONNECTOR_TIMEOUT_MS: z.coerce.number().int().min(50).default(10_000),
  /** How often the reconcile sweep looks for quarantined accounts to try again. */
  WORKER_SWEEP_MS: z.coerce.number().int().min(100).default(60_000),
  /** A dead-lettered account is tried again after this long, doubling each time up to 24 h. */
  WORKER_QUARANTINE_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(60 * 60_000),
  /** Caps every network's read-back interval (ms); unset: each network's own (hours for push networks). */
  WORKER_READBACK_MAX_MS: z.coerce.number().int().min(100).optional(),
  /** Accounts read back per minute at most by one worker's periodic reconcile. */
  WORKER_READBACKS_PER_MINUTE: z.coerce.number().int().min(0).max(100_000).default(600),
  /** First retry waits up to this long; each further one up to twice as long (full jitter). */
  WORKER_RETRY_BASE_MS: z.coerce.number().int().min(1).default(15_000),
  /** Finished deliveries older than this many days are removed by the worker's cleanup job. */
  DELIVERY_RETENTION_DAYS: z.coerce.number().int().min(1).max(36500).default(90),
  /** Accounts that may be created (or tried) from one client address per hour. */
  SIGN_UPS_PER_ADDRESS_PER_HOUR: z.coerce.number().int().min(1).default(10),
  /** Shared with the sandbox: signs its webhooks (HMAC-SHA256). */
  SANDBOX_WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  /** Reverse proxies in front of the portal that each append the address they saw to
   * X-Forwarded-For; 0 (default): the portal is reached directly and trusts the connection's own. */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(MAX_TRUSTED_PROXY_HOPS).default(0),
  /** Least severe log level written (JSON lines on stdout); `silent` writes none. */
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Bearer token that `/api/metrics` and the worker's metrics port require. Unset: metrics off. */
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /** Port on which a worker serves `/metrics` (Prometheus). Unset: not served. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Address the worker's metrics port listens on. */
  WORKER_METRICS_HOST: z.string().min(1).default("127.0.0.1"),
});

export type TEnv = z.infer<typeof ZEnv> & {
  NEXTAUTH_SECRET: string;
  ONEPROFILE_ENCRYPTION_KEY: string;
  /** The sandbox networks: always in development and tests (`npm run dev` starts the sandbox),
   * in production only when SANDBOX_URL names one. */
  IS_SANDBOX_ENABLED: boolean;
  /** With the sandbox networks off and none given: a random key no one holds, so no webhook passes. */
  SANDBOX_WEBHOOK_SECRET: string;
};

/** Secrets that development generates on first use and production requires. */
const GENERATED_SECRETS = {
  NEXTAUTH_SECRET: () => randomBytes(32).toString("base64url"),
  ONEPROFILE_ENCRYPTION_KEY: () => `dev1:${randomBytes(32).toString("base64")}`,
  SANDBOX_WEBHOOK_SECRET: () => randomBytes(24).toString("base64url"),
} as const;
type TSecretName = keyof typeof GENERATED_SECRETS;
const SECRET_NAMES = Object.keys(GENERATED_SECRETS) as TSecretName[];

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`).join("\n");
}

function loadDevSecrets(dataDir: string): Record<string, string> {
  const file = path.join(dataDir, "secrets.json");
  const stored: Record<string, string> = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, string>)
    : {};
  let changed = false;
  for (const name of SECRET_NAMES) {
    if (!stored[name]) {
      stored[name] = GENERATED_SECRETS[name]();
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
    // In production, also name every secret that is missing: one start tells all that is wrong.
    const isProduction = source.NODE_ENV === "production";
    const missing = SECRET_NAMES.filter(
      (name) => !source[name] && (name !== "SANDBOX_WEBHOOK_SECRET" || source.SANDBOX_URL !== undefined),
    );
    const alsoMissing =
      isProduction && missing.length > 0 ? `\n  ${missing.join(", ")}: must be set in production` : "";
    throw new Error(`OneProfile: invalid configuration:\n${describe(parsed.error)}${alsoMissing}`);
  }
  const values = parsed.data;
  const isProduction = values.NODE_ENV === "production";
  const isSandboxEnabled = !isProduction || values.SANDBOX_URL !== undefined;
  if (isProduction && values.CONNECTOR_LOOPBACK_ALLOWED) {
    throw new Error("OneProfile: CONNECTOR_LOOPBACK_ALLOWED is for tests; it cannot be set in production.");
  }
  if (isProduction && values.XMPP_TEST_SRV !== undefined) {
    throw new Error("OneProfile: XMPP_TEST_SRV is for tests; it cannot be set in production.");
  }
  const required = SECRET_NAMES.filter((name) => isSandboxEnabled || name !== "SANDBOX_WEBHOOK_SECRET");
  const missing = required.filter((name) => !values[name]);
  if (missing.length > 0) {
    if (isProduction) {
      throw new Error(`OneProfile: ${missing.join(", ")} must be set in production (see README, "Production").`);
    }
    const generated = loadDevSecrets(path.resolve(values.ONEPROFILE_DATA_DIR));
    for (const name of missing) values[name] = generated[name];
  }
  values.SANDBOX_WEBHOOK_SECRET ??= randomBytes(32).toString("base64url");
  return { ...values, IS_SANDBOX_ENABLED: isSandboxEnabled } as TEnv;
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

/**
 * `npm start` (production) and `npm run dev` (development) run in their mode whatever NODE_ENV
 * the caller set (a shell or container may export one), for this process and every process it
 * starts; validated at once, so a missing production secret stops the start before anything runs.
 */
export function enterMode(mode: "production" | "development"): TEnv {
  Object.assign(process.env, { NODE_ENV: mode });
  cached = undefined;
  return (cached = loadEnv(process.env));
}

/** The environment for a child process this one starts: ours plus `extra`. */
export function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
