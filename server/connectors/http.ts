/**
 * One classifier for vendor HTTP answers and network failures (after Nango's retry helper):
 * 401/403 → auth, 429 → rate_limited (honouring Retry-After), 5xx, timeouts and connection
 * errors → transient, any other 4xx → permanent.
 */
import { ConnectorError } from "./types";

/** Retry-After as seconds or an HTTP date; milliseconds to wait, or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function classifyResponse(status: number, retryAfter: string | null, vendorMessage: string): ConnectorError {
  if (status === 401 || status === 403)
    return new ConnectorError("auth", vendorMessage || "The network refused the credentials.");
  if (status === 429) {
    return new ConnectorError(
      "rate_limited",
      vendorMessage || "The network asked us to slow down.",
      parseRetryAfter(retryAfter),
    );
  }
  if (status >= 500 || status === 408)
    return new ConnectorError("transient", vendorMessage || `The network answered ${status}.`);
  return new ConnectorError("permanent", vendorMessage || `The network refused the request (${status}).`);
}

export function classifyNetworkFailure(error: unknown): ConnectorError {
  const name = error instanceof Error ? error.name : "";
  if (name === "TimeoutError" || name === "AbortError")
    return new ConnectorError("transient", "The network did not answer in time.");
  return new ConnectorError("transient", "The network could not be reached.");
}

/** fetch with a per-request timeout; failures and non-2xx answers become ConnectorErrors. */
export async function vendorFetch(url: string, init: RequestInit & { timeoutMs: number }): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs) });
  } catch (error) {
    throw classifyNetworkFailure(error);
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw classifyResponse(response.status, response.headers.get("retry-after"), body?.error?.message ?? "");
  }
  return response;
}
