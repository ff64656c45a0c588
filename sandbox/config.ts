/** The sandbox process's configuration (its own program, so its own environment reader). */
import { z } from "zod";

const ZSandboxEnv = z.object({
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  SANDBOX_DATA_DIR: z.string().min(1).default(".data/sandbox"),
  /** Where profile changes are pushed: OneProfile's webhook base (…/api/webhooks). */
  SANDBOX_WEBHOOK_URL: z.url().optional(),
  SANDBOX_WEBHOOK_SECRET: z.string().min(16).optional(),
  /** Webhook sender tick, and retry backoff (base·2^attempts up to max); tests shorten them. */
  SANDBOX_WEBHOOK_INTERVAL_MS: z.coerce.number().int().min(10).default(250),
  SANDBOX_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).default(500),
  SANDBOX_WEBHOOK_RETRY_MAX_MS: z.coerce.number().int().min(10).default(300_000),
  /** scrypt cost (N, a power of two) of passwords set from now on; the bench lowers it to create
   * and sign in thousands of accounts without making password hashing what it measures. */
  SANDBOX_PASSWORD_COST: z.coerce
    .number()
    .int()
    .min(16)
    .max(2 ** 20)
    .refine((cost) => (cost & (cost - 1)) === 0, "must be a power of two")
    .default(16_384),
});

export type TSandboxConfig = z.infer<typeof ZSandboxEnv>;

export function readSandboxConfig(source: NodeJS.ProcessEnv = process.env): TSandboxConfig {
  const parsed = ZSandboxEnv.safeParse(source);
  if (!parsed.success) {
    throw new Error(
      `sandbox: invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  if (parsed.data.SANDBOX_WEBHOOK_URL && !parsed.data.SANDBOX_WEBHOOK_SECRET) {
    throw new Error("sandbox: SANDBOX_WEBHOOK_SECRET is required with SANDBOX_WEBHOOK_URL.");
  }
  return parsed.data;
}
