/**
 * The portal's /api/metrics over its route handler, against real Postgres: who may scrape, what
 * a scrape shows (the queue read live, webhooks counted by the webhook route), and no secret in it.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { setupTestDb } from "@/test/database";
import { markDirty } from "@/server/dispatch/queue";
import { signPayload } from "@/server/connectors/sandbox/webhook-signature";

const { db, url } = await setupTestDb();
const TOKEN = `metrics-${randomBytes(16).toString("hex")}`;
const WEBHOOK_SECRET = `webhook-${randomBytes(16).toString("hex")}`;

/** The routes as a fresh process would load them, under this configuration. */
async function loadRoutes(settings: Record<string, string | undefined>) {
  vi.resetModules();
  vi.stubEnv("DATABASE_URL", url);
  vi.stubEnv("SANDBOX_WEBHOOK_SECRET", WEBHOOK_SECRET);
  for (const [name, value] of Object.entries(settings)) vi.stubEnv(name, value);
  return {
    metrics: await import("./route"),
    webhook: await import("../webhooks/[network]/route"),
  };
}

const scrape = (route: { GET: (request: Request) => Promise<Response> }, authorization?: string) =>
  route.GET(new Request("http://localhost/api/metrics", { headers: authorization ? { authorization } : {} }));

afterEach(() => vi.unstubAllEnvs());
afterAll(async () => (await import("@/server/db")).db.$disconnect());

describe("GET /api/metrics", () => {
  it("is 404 when METRICS_TOKEN is unset: metrics are off", async () => {
    const { metrics } = await loadRoutes({ METRICS_TOKEN: undefined });
    const response = await scrape(metrics, `Bearer ${TOKEN}`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain("oneprofile_");
  });

  it("is 401 without the token or with a wrong one", async () => {
    const { metrics } = await loadRoutes({ METRICS_TOKEN: TOKEN });
    for (const authorization of [undefined, "Bearer not-the-token-at-all", `Basic ${TOKEN}`]) {
      const response = await scrape(metrics, authorization);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(await response.text()).not.toContain("oneprofile_");
    }
  });

  it("serves the metrics to the token: the queue read live, webhooks counted, no secret shown", async () => {
    const { metrics, webhook } = await loadRoutes({ METRICS_TOKEN: TOKEN });
    const user = await db.user.create({
      data: { email: `m${randomBytes(3).toString("hex")}@example.com`, passwordHash: "x" },
    });
    const account = await db.linkedAccount.create({
      data: {
        userId: user.id,
        networkId: "qq",
        login: "70001",
        credentials: "v1.sealed-credentials",
        credentialsKeyId: "x",
        verifiedAt: new Date(),
      },
    });
    await markDirty(db, [{ userId: user.id, accountId: account.id }]);

    const post = (body: string, signature: string) => {
      const timestamp = String(Math.floor(Date.now() / 1000));
      return webhook.POST(
        new Request("http://localhost/api/webhooks/qq", {
          method: "POST",
          headers: { "x-sandbox-timestamp": timestamp, "x-sandbox-signature": signature },
          body,
        }),
        { params: Promise.resolve({ network: "qq" }) },
      );
    };
    const body = JSON.stringify({ id: `evt_${randomUUID()}`, network: "qq", login: "70001", profile: {} });
    const signed = () => signPayload(WEBHOOK_SECRET, Math.floor(Date.now() / 1000), body);
    expect((await post(body, signed())).status).toBe(202);
    expect((await post(body, signed())).status).toBe(409);
    expect((await post(body, "v1=00")).status).toBe(401);

    const response = await scrape(metrics, `Bearer ${TOKEN}`);
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const name of [
      "oneprofile_deliveries_total",
      "oneprofile_vendor_attempt_seconds",
      "oneprofile_jobs_queue_depth",
      "oneprofile_jobs_oldest_due_seconds",
      "oneprofile_inbound_events_total",
      "oneprofile_http_request_seconds",
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    // The dirty account's job, and the accepted event's job: both due now.
    expect(text).toContain('oneprofile_jobs_queue_depth{kind="sync-account"} 1');
    expect(text).toContain('oneprofile_jobs_queue_depth{kind="inbound-event"} 1');
    expect(text).toMatch(/^oneprofile_jobs_oldest_due_seconds \d/m);
    expect(text).toMatch(/^oneprofile_inbound_events_total\{network="qq",outcome="accepted"\} [1-9]/m);
    expect(text).toMatch(/^oneprofile_inbound_events_total\{network="qq",outcome="duplicate"\} [1-9]/m);
    expect(text).toMatch(/^oneprofile_inbound_events_total\{network="qq",outcome="rejected"\} [1-9]/m);
    for (const secret of [TOKEN, WEBHOOK_SECRET, "sealed-credentials"]) {
      expect(text).not.toContain(secret);
    }
  });
});
