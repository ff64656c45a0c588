/**
 * Request bodies read no further than a limit: a sender cannot make the portal hold more than
 * that in memory, whatever it declares (Content-Length) or streams (chunked).
 */

/** The body as text, or null once it is longer than `limit` bytes. */
export async function readBody(request: Request, limit: number): Promise<string | null> {
  if (Number(request.headers.get("content-length")) > limit) return null;
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    size += read.value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(read.value);
  }
  // As request.text() decodes: UTF-8, a leading BOM dropped, broken sequences replaced.
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/**
 * The same request with a body that fails with `tooLarge()` as soon as it passes `limit` bytes
 * (or at once when its Content-Length says it will), for a handler that reads the body itself
 * and answers its own errors (tRPC answers a TRPCError PAYLOAD_TOO_LARGE with its 413).
 */
export function withBodyLimit(request: Request, limit: number, tooLarge: () => Error): Request {
  if (!request.body) return request;
  const reader = request.body.getReader();
  const isDeclaredTooLarge = Number(request.headers.get("content-length")) > limit;
  let size = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (isDeclaredTooLarge) {
        // Not cancelled: cancelling a real server's request stream destroys the socket before
        // the 413 is written. Unread, the body is discarded after the answer.
        controller.error(tooLarge());
        return;
      }
      const read = await reader.read();
      if (read.done) return controller.close();
      size += read.value.byteLength;
      if (size > limit) {
        controller.error(tooLarge());
        await reader.cancel();
        return;
      }
      controller.enqueue(read.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body,
    signal: request.signal,
    duplex: "half",
  } as RequestInit);
}
