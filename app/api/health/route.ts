import { checkDatabase } from "@/server/database/health";
import { logError } from "@/server/log";

export const dynamic = "force-dynamic";

/** Liveness and readiness: 200 when the database answers, 503 when it does not. */
export async function GET() {
  try {
    await checkDatabase();
    return Response.json({ status: "ok" });
  } catch (error) {
    logError("health", error);
    return Response.json({ status: "unavailable" }, { status: 503 });
  }
}
