import { env } from "@/server/env";
import { scrapeMetrics } from "@/server/metrics";

export const dynamic = "force-dynamic";

/** Prometheus scrape of the portal: needs `Authorization: Bearer <METRICS_TOKEN>`; 404 when unset. */
export async function GET(request: Request) {
  const { status, headers, body } = await scrapeMetrics(request.headers.get("authorization"), env.METRICS_TOKEN);
  return new Response(body, { status, headers });
}
