/**
 * fetch for hosts a person named (a Bluesky PDS from their DID document, a server they typed): every
 * connection is checked where it is made — each address DNS answers, at connect time, whichever of
 * them the socket then tries — so neither a name that resolves to the machine's own network nor one
 * that changes its answer between a check and the connection (DNS rebinding) reaches a private
 * address. Redirects are not followed. undici is Node's own fetch, used here for its connect hook.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { isIP } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import { isAllowedAddress } from "./public-address";

/** The error a refused connection fails with (the fetch's `cause`). */
export class PrivateAddressError extends Error {
  constructor(readonly host: string) {
    super(`The server ${host} is on a private network; OneProfile does not connect there.`);
    this.name = "PrivateAddressError";
  }
}

/** Answers longer than this fail: a profile record is a few kilobytes, an avatar at most a megabyte. */
const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;

/** The error an answer longer than the cap fails with (the body's, or the fetch's `cause`). */
export class TooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The server answered with more than ${maxBytes} bytes.`);
    this.name = "TooLargeError";
  }
}

/** The response, its body cut off with an error past `maxBytes` (whatever Content-Length says). */
function capped(response: Response, maxBytes: number): Response {
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    void response.body?.cancel();
    throw new TypeError("fetch failed", { cause: new TooLargeError(maxBytes) });
  }
  if (!response.body) return response;
  let size = 0;
  const counted = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > maxBytes) controller.error(new TooLargeError(maxBytes));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
}

type TLookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** dns.lookup that answers only when every address the name resolves to may be reached. */
export function checkedLookup(options: { isLoopbackAllowed: boolean }) {
  return (hostname: string, lookupOptions: LookupOptions, callback: TLookupCallback): void => {
    dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      if (addresses.length === 0 || !addresses.every((entry) => isAllowedAddress(entry.address, options))) {
        return callback(Object.assign(new PrivateAddressError(hostname), { code: "EPRIVATE" }), []);
      }
      if (lookupOptions.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/**
 * A fetch (the WHATWG signature) whose connections go only to allowed addresses, each request within
 * `timeoutMs` (body included) and each answer at most `maxBytes` long (a server a person named must
 * not fill a worker's memory). It takes a Request or a URL; bodies are buffered (profile requests are
 * small; an avatar is at most a megabyte). `close` ends its kept connections.
 */
export function createCheckedFetch(options: { isLoopbackAllowed: boolean; timeoutMs: number; maxBytes?: number }): {
  fetch: typeof globalThis.fetch;
  close(): Promise<void>;
} {
  const dispatcher = new Agent({ connect: { lookup: checkedLookup(options) } });
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    // An address written as such is connected to without a lookup: judged here.
    const host = new URL(request.url).hostname.replace(/^\[|\]$/g, "");
    if (isIP(host) && !isAllowedAddress(host, options)) {
      throw new TypeError("fetch failed", { cause: new PrivateAddressError(host) });
    }
    // A controller and a timer of our own (see ./http.ts: a combined signal can be collected).
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException("The network did not answer in time.", "TimeoutError")),
      options.timeoutMs,
    );
    timer.unref();
    const onAbort = () => controller.abort(request.signal.reason);
    if (request.signal.aborted) onAbort();
    request.signal.addEventListener("abort", onAbort, { once: true });
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    const response = await undiciFetch(request.url, {
      method: request.method,
      headers: [...request.headers],
      body: hasBody ? Buffer.from(await request.arrayBuffer()) : null,
      signal: controller.signal,
      redirect: "manual",
      dispatcher,
    });
    return capped(response as unknown as Response, options.maxBytes ?? DEFAULT_MAX_BYTES);
  };
  return { fetch: fetch as typeof globalThis.fetch, close: () => dispatcher.close() };
}
