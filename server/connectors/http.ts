/**
 * One classifier for vendor HTTP answers and network failures (after Nango's retry helper):
 * 401/403 → auth, 429 → rate_limited (honouring Retry-After), 5xx, timeouts and connection
 * errors → transient, any other 4xx → permanent.
 */
import { PrivateAddressError, TooLargeError } from "./checked-fetch";
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
  // A host refused for its address, or an answer past its size: trying again changes nothing.
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (cause instanceof PrivateAddressError || cause instanceof TooLargeError) {
      return new ConnectorError("permanent", cause.message);
    }
  }
  const name = error instanceof Error ? error.name : "";
  if (name === "TimeoutError" || name === "AbortError")
    return new ConnectorError("transient", "The network did not answer in time.");
  return new ConnectorError("transient", "The network could not be reached.");
}

/** fetch with a per-request timeout; failures and non-2xx answers become ConnectorErrors. */
export async function vendorFetch(
  url: string,
  init: RequestInit & { timeoutMs: number; signal?: AbortSignal; fetch?: typeof globalThis.fetch },
): Promise<Response> {
  const { fetch: fetchWith = fetch, timeoutMs, ...request } = init;
  let response: Response;
  // A controller and a timer of our own, not AbortSignal.any(AbortSignal.timeout(…)): under memory
  // pressure Node 20 can collect such a combined signal, and the request then never times out.
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException("The network did not answer in time.", "TimeoutError")),
    timeoutMs,
  );
  const onAbort = () => controller.abort(init.signal?.reason);
  if (init.signal?.aborted) onAbort();
  init.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    response = await fetchWith(url, { ...request, signal: controller.signal });
    if (!response.ok) {
      const body = (await response.json().catch(() => null)) as {
        error?: { message?: string; code?: unknown; field?: unknown };
      } | null;
      const failure = classifyResponse(
        response.status,
        response.headers.get("retry-after"),
        body?.error?.message ?? "",
      );
      if (typeof body?.error?.code === "string") failure.vendorCode = body.error.code.slice(0, 100);
      if (typeof body?.error?.field === "string") failure.vendorField = body.error.field.slice(0, 100);
      throw failure;
    }
  } catch (error) {
    clearTimeout(timer);
    init.signal?.removeEventListener("abort", onAbort);
    if (error instanceof ConnectorError) throw error;
    throw classifyNetworkFailure(error);
  }
  // The timer stays: reading the body (a download) is bounded by the same time limit.
  return response;
}

/**
 * Downloads a file the vendor pointed us to (an avatar in a change report): only from the vendor's
 * own origin, no redirects, within a time limit, and at most `maxBytes` (the body is read in
 * chunks and abandoned past the cap, whatever Content-Length claims).
 */
export async function vendorDownload(
  url: string,
  options: {
    origin: string;
    maxBytes: number;
    timeoutMs: number;
    signal?: AbortSignal;
    /** A fetch of the connector's own (./checked-fetch.ts for hosts a person named). */
    fetch?: typeof globalThis.fetch;
  },
): Promise<Buffer> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConnectorError("permanent", "The network reported a file address that is not a URL.");
  }
  if (parsed.origin !== new URL(options.origin).origin) {
    throw new ConnectorError("permanent", "The network reported a file on another host; it was not fetched.");
  }
  const response = await vendorFetch(parsed.toString(), {
    redirect: "manual",
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  if (response.status >= 300) {
    await response.body?.cancel();
    throw new ConnectorError("permanent", "The network answered the file download with a redirect.");
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  try {
    for (;;) {
      const chunk = reader ? await reader.read() : { done: true as const, value: undefined };
      if (chunk.done) break;
      size += chunk.value.byteLength;
      if (size > options.maxBytes) {
        throw new ConnectorError("permanent", `The reported file is larger than ${options.maxBytes} bytes.`);
      }
      chunks.push(Buffer.from(chunk.value));
    }
  } catch (error) {
    await reader?.cancel().catch(() => {});
    if (error instanceof ConnectorError) throw error;
    throw classifyNetworkFailure(error);
  }
  return Buffer.concat(chunks);
}
