import { db } from "@/server/db";
import { env } from "@/server/env";
import { logError } from "@/server/log";
import { receiveSandboxEvent } from "@/server/monitor/receive-sandbox-event";

export const dynamic = "force-dynamic";

/** Webhooks from the sandbox networks: a profile changed inside QQ, MSN, Fetion or Facebook. */
export async function POST(request: Request, { params }: { params: Promise<{ network: string }> }) {
  const { network } = await params;
  try {
    const outcome = await receiveSandboxEvent(db, {
      networkId: network,
      secret: env.SANDBOX_WEBHOOK_SECRET,
      timestamp: request.headers.get("x-sandbox-timestamp"),
      signature: request.headers.get("x-sandbox-signature"),
      body: await request.text(),
    });
    return Response.json({ message: outcome.message }, { status: outcome.status });
  } catch (error) {
    logError(`webhook ${network}`, error);
    return Response.json({ message: "Could not record the event." }, { status: 500 });
  }
}
