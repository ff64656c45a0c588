/**
 * Pushes every profile change to OneProfile, signed with HMAC-SHA256 over "timestamp.body".
 * The outbox is persisted, so a change made while OneProfile is down is delivered later.
 */
import { createHmac } from "node:crypto";
import { webhookKey, type SandboxStore, type TWebhookEvent } from "./store";

export const SIGNATURE_HEADER = "x-sandbox-signature";
export const TIMESTAMP_HEADER = "x-sandbox-timestamp";
export const EVENT_ID_HEADER = "x-sandbox-event-id";

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

const GIVE_UP_AFTER_ATTEMPTS = 50;
const PARALLEL_SENDS = 8;

export interface TWebhookSchedule {
  /** Sender tick. */
  intervalMs: number;
  /** Retry backoff: base·2^attempts, capped. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export const DEFAULT_SCHEDULE: TWebhookSchedule = { intervalMs: 250, retryBaseMs: 500, retryMaxMs: 5 * 60 * 1000 };

/**
 * Delivers due webhooks, up to 8 at a time; returns a function that stops the loop.
 * Webhook chaos (tests): paused, delayed first sends (set when queued), and duplicates.
 */
export function startWebhookSender(
  store: SandboxStore,
  target: { url: string | null; secret: string },
  schedule: TWebhookSchedule = DEFAULT_SCHEDULE,
): () => void {
  const sending = new Set<string>();

  async function send(event: TWebhookEvent): Promise<void> {
    // Announce only a change that is on disk: a crash must not take back what was announced.
    try {
      await store.durable();
    } catch {
      return;
    }
    const timestamp = Math.floor(Date.now() / 1000);
    let isDone = false;
    store.busy.webhooksInFlight++;
    try {
      const response = await fetch(`${target.url}/${event.network}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signWebhook(target.secret, timestamp, event.body),
          [EVENT_ID_HEADER]: event.id,
        },
        body: event.body,
        signal: AbortSignal.timeout(10_000),
      });
      // 409: OneProfile has this event already (a retry after a lost answer, or a duplicate).
      isDone = response.ok || response.status === 409;
    } catch {
      isDone = false;
    } finally {
      store.busy.webhooksInFlight--;
    }
    if (event.isCopy) {
      store.removeWebhook(event);
    } else if (isDone) {
      store.removeWebhook(event);
      if (store.webhookChaos.duplicateRate > 0 && Math.random() < store.webhookChaos.duplicateRate) {
        store.enqueueWebhook({ ...event, isCopy: true, attempts: 0, nextAttemptAt: Date.now() + 20 });
      }
    } else if (event.attempts + 1 >= GIVE_UP_AFTER_ATTEMPTS) {
      store.removeWebhook(event);
      store.busy.dropped++;
    } else {
      event.attempts++;
      event.nextAttemptAt = Date.now() + Math.min(schedule.retryMaxMs, schedule.retryBaseMs * 2 ** event.attempts);
      store.webhookChanged(event);
    }
  }

  let isStopped = false;
  /**
   * Starts due sends, oldest first, until PARALLEL_SENDS are in flight. Runs every tick and each
   * time a send ends, so a busy outbox keeps its sends going instead of waiting for the next tick;
   * the walk stops as soon as the sends are started.
   */
  const pump = () => {
    if (isStopped || !target.url || store.webhookChaos.isPaused) return;
    const now = Date.now();
    for (const event of store.outbox) {
      if (sending.size >= PARALLEL_SENDS) return;
      if (event.nextAttemptAt > now) continue;
      const key = webhookKey(event);
      if (sending.has(key)) continue;
      sending.add(key);
      void send(event).finally(() => {
        sending.delete(key);
        pump();
      });
    }
  };
  const timer = setInterval(pump, schedule.intervalMs);
  return () => {
    isStopped = true;
    clearInterval(timer);
  };
}
