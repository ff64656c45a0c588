/** The tRPC route handler itself: a batch is capped before any of its calls runs. */
import { describe, expect, it, vi } from "vitest";
import type { TContext } from "@/server/api/trpc";
import { GET } from "./route";

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
