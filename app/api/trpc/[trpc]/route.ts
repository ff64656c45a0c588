import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { MAX_BATCH_SIZE } from "@/server/api/batch";
import { appRouter } from "@/server/api/root";
import { createTRPCContext } from "@/server/api/trpc";
import { MAX_REQUEST_BODY_BYTES } from "@/server/http/portal-listener";
import { withBodyLimit } from "@/server/http/read-body";
import { metrics, procedureLabels } from "@/server/metrics";

const ENDPOINT = "/api/trpc";
/** A request body at most this large: one avatar (5 MB of image, as base64) and the rest. */
export const MAX_BODY_BYTES = MAX_REQUEST_BODY_BYTES;
/** The router's procedures: the only values the `route` label takes (besides "unknown"). */
const PROCEDURES: ReadonlySet<string> = new Set(Object.keys(appRouter._def.procedures));

async function handler(request: Request) {
  const startedAt = performance.now();
  // Read no further than the limit; tRPC answers the error as a 413 (PAYLOAD_TOO_LARGE).
  const req = withBodyLimit(
    request,
    MAX_BODY_BYTES,
    () =>
      new TRPCError({
        code: "PAYLOAD_TOO_LARGE",
        message: `A request may carry at most ${MAX_BODY_BYTES / 1024 / 1024} MB.`,
      }),
  );
  const response = await fetchRequestHandler({
    endpoint: ENDPOINT,
    req,
    router: appRouter,
    // More calls in one request are answered 400 before any runs, so one request cannot start
    // hundreds of procedures.
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: () => createTRPCContext({ headers: req.headers }),
  });
  // Until the response starts: a subscription's stream is not timed to its end.
  const seconds = (performance.now() - startedAt) / 1000;
  for (const route of procedureLabels(req.url, ENDPOINT, PROCEDURES)) {
    metrics.httpRequestSeconds.observe({ route, status: String(response.status) }, seconds);
  }
  return response;
}

export { handler as GET, handler as POST };
