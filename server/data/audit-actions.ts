/**
 * The audit log's vocabulary, apart from its queries: the admin pages (client code) read it too,
 * and must not pull the database client into the browser bundle.
 */
/** Every action the log records. */
export const AUDIT_ACTIONS = [
  "user.signup",
  "user.role",
  "account.link",
  "account.unlink",
  "account.relink",
  "network.enable",
  "network.disable",
  "admin.delivery.retry",
  "admin.deliveries.retry_failed",
  "admin.account.pause",
  "admin.account.resume",
  "admin.account.resend",
] as const;
export type TAuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_TARGET_TYPES = ["user", "linked_account", "network", "delivery"] as const;
export type TAuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];
