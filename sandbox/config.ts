/** The sandbox process's configuration (its own program, so its own environment reader). */
import { z } from "zod";

const ZSandboxEnv = z.object({
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  SANDBOX_DATA_DIR: z.string().min(1).default(".data/sandbox"),
  /** Where profile changes are pushed: OneProfile's webhook base (…/api/webhooks/sandbox). */
  SANDBOX_WEBHOOK_URL: z.url().optional(),
  SANDBOX_WEBHOOK_SECRET: z.string().min(16).optional(),
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
