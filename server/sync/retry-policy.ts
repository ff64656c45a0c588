/**
 * What happens after a failed delivery attempt: exponential backoff with full jitter (8 attempts
 * spread over about an hour), Retry-After honoured, credentials refused → fail at once. Pure.
 */
import type { TConnectorErrorKind } from "../connectors/types";

export const MAX_ATTEMPTS = 8;
export const DEFAULT_BASE_DELAY_MS = 15_000;
const MAX_DELAY_MS = 30 * 60_000;

export type TRetryDecision = { action: "retry"; delayMs: number } | { action: "fail"; isCredentialProblem: boolean };

/** Full jitter: a random wait between 0 and base·2^(attempt−1), capped. */
export function backoffMs(attempt: number, baseDelayMs = DEFAULT_BASE_DELAY_MS, random = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

export function decideAfterFailure(
  error: { kind: TConnectorErrorKind; retryAfterMs?: number },
  attempts: number,
  options: { baseDelayMs?: number; random?: () => number } = {},
): TRetryDecision {
  if (error.kind === "auth") return { action: "fail", isCredentialProblem: true };
  const isRetriable = error.kind === "transient" || error.kind === "rate_limited";
  if (!isRetriable || attempts >= MAX_ATTEMPTS) return { action: "fail", isCredentialProblem: false };
  const jittered = backoffMs(attempts, options.baseDelayMs, options.random);
  return { action: "retry", delayMs: Math.max(jittered, error.retryAfterMs ?? 0) };
}
