/** The tRPC route handler itself: a batch is capped before any of its calls runs, a body by its size. */
import { describe, expect, it, vi } from "vitest";
import type { TContext } from "@/server/api/trpc";
import { GET, MAX_BODY_BYTES, POST } from "./route";

// Outside Next's request scope there is no session to read: every call here is a visitor's.
const createContext = vi.hoisted(() =>
  vi.fn(async () => ({ session: null, headers: new Headers() }) as unknown as TContext),
);
vi.mock("@/server/api/trpc", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/server/api/trpc")>()),
  createTRPCContext: createContext,
}));

function batch(size: number) {
  const path = Array.from({ length: size }, () => "profile.get").join(",");
  const input = Object.fromEntries(Array.from({ length: size }, (_, index) => [index, { json: null }]));
  return GET(
    new Request(`http://localhost/api/trpc/${path}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`),
  );
}

describe("GET /api/trpc (a batch of queries)", () => {
  it("answers a batch of more than 10 calls with one 400, running none of them", async () => {
    createContext.mockClear();
    const response = await batch(11);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error?: { json: { message: string } } };
    expect(Array.isArray(body)).toBe(false);
    expect(body.error?.json.message).toBe("Batch call exceeds maximum size");
    expect(createContext).not.toHaveBeenCalled();
  });

  it("runs a batch of 10: each call answers for itself", async () => {
    const response = await batch(10);
    const body = (await response.json()) as Array<{ error?: { json: { data: { httpStatus: number } } } }>;
    expect(body.map((answer) => answer.error?.json.data.httpStatus)).toEqual(Array(10).fill(401));
  });
});

describe("POST /api/trpc (a body)", () => {
  function signUp(body: BodyInit, headers: Record<string, string> = {}) {
    return POST(
      new Request("http://localhost/api/trpc/auth.signUp", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
        duplex: "half",
      } as RequestInit),
    );
  }

  it("answers a body over the limit with a typed 413, without reading it whole", async () => {
    const huge = JSON.stringify({ json: { email: "a@b.co", password: "a".repeat(MAX_BODY_BYTES) } });
    const response = await signUp(huge);
    expect(response.status).toBe(413);
    const body = (await response.json()) as { error?: { json: { data: { code: string } } } };
    expect(body.error?.json.data.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("stops reading a stream that never ends once it passes the limit", async () => {
    let sent = 0;
    const chunk = new Uint8Array(64 * 1024).fill(97);
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const response = await signUp(endless);
    expect(response.status).toBe(413);
    expect(sent).toBeLessThan(MAX_BODY_BYTES + 4 * chunk.byteLength);
  });
});
