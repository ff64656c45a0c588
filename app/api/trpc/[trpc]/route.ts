import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { MAX_BATCH_SIZE } from "@/server/api/batch";
import { appRouter } from "@/server/api/root";
import { createTRPCContext } from "@/server/api/trpc";
import { metrics, procedureLabels } from "@/server/metrics";

const ENDPOINT = "/api/trpc";
/** The router's procedures: the only values the `route` label takes (besides "unknown"). */
const PROCEDURES: ReadonlySet<string> = new Set(Object.keys(appRouter._def.procedures));

async function handler(req: Request) {
  const startedAt = performance.now();
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
