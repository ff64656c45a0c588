import { logError } from "@/server/log";
import { metrics, type TInboundOutcome } from "@/server/metrics";
import { readBody } from "@/server/http/read-body";
import { processConnectors } from "@/server/connectors/process";
import { receiveProcessWebhook, webhookMaxBytes } from "@/server/monitor/receive-webhook";

export const dynamic = "force-dynamic";

const OUTCOME_OF_STATUS: Record<number, TInboundOutcome> = { 202: "accepted", 409: "duplicate" };

/** Webhooks from the networks that send them: a profile changed inside QQ, MSN, Fetion or Facebook. */
export async function POST(request: Request, { params }: { params: Promise<{ network: string }> }) {
  const { network } = await params;
  try {
    const maxBytes = webhookMaxBytes(processConnectors(), network);
    if (maxBytes === null) {
      metrics.inboundEvents.inc({ network: "unknown", outcome: "rejected" });
      return Response.json({ message: "Unknown network." }, { status: 404 });
    }
    const body = await readBody(request, maxBytes);
    if (body === null) {
      metrics.inboundEvents.inc({ network, outcome: "rejected" });
      return Response.json({ message: `Events are limited to ${maxBytes} bytes.` }, { status: 413 });
    }
    const outcome = await receiveProcessWebhook({ networkId: network, headers: request.headers, body });
    metrics.inboundEvents.inc({
      // The path is the caller's: it becomes a label only once the receiver knew the network.
      network: outcome.status === 404 ? "unknown" : network,
      outcome: OUTCOME_OF_STATUS[outcome.status] ?? "rejected",
    });
    return Response.json({ message: outcome.message }, { status: outcome.status });
  } catch (error) {
    logError(`webhook ${network}`, error);
    metrics.inboundEvents.inc({ network: "unknown", outcome: "error" });
    return Response.json({ message: "Could not record the event." }, { status: 500 });
  }
}
