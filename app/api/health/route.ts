import { db } from "@/server/db";
import { logError } from "@/server/log";

export const dynamic = "force-dynamic";

/** Liveness and readiness: 200 when the database answers, 503 when it does not. */
export async function GET() {
  try {
    await db.$queryRaw`SELECT 1`;
    return Response.json({ status: "ok" });
  } catch (error) {
    logError("health", error);
    return Response.json({ status: "unavailable" }, { status: 503 });
  }
}
