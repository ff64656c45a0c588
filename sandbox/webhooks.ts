/**
 * Pushes every profile change to OneProfile, signed with HMAC-SHA256 over "timestamp.body".
 * The outbox is persisted, so a change made while OneProfile is down is delivered later.
 */
import { createHmac } from "node:crypto";
import type { SandboxStore } from "./store";

export const SIGNATURE_HEADER = "x-sandbox-signature";
export const TIMESTAMP_HEADER = "x-sandbox-timestamp";
export const EVENT_ID_HEADER = "x-sandbox-event-id";

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

const MAX_BACKOFF_MS = 5 * 60 * 1000;
const GIVE_UP_AFTER_ATTEMPTS = 50;

/** Delivers due webhooks every `intervalMs`; returns a function that stops the loop. */
export function startWebhookSender(
  store: SandboxStore,
  target: { url: string | null; secret: string },
  intervalMs = 250,
): () => void {
  let isRunning = false;
  const tick = async () => {
    if (isRunning || !target.url) return;
    isRunning = true;
    try {
      for (const event of store.outbox.filter((e) => e.nextAttemptAt <= Date.now())) {
        const timestamp = Math.floor(Date.now() / 1000);
        let isDone = false;
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
          // 409: OneProfile has this event already (a retry after a lost answer).
          isDone = response.ok || response.status === 409;
        } catch {
          isDone = false;
        }
        if (isDone || event.attempts + 1 >= GIVE_UP_AFTER_ATTEMPTS) {
          store.removeWebhook(event.id);
        } else {
          event.attempts++;
          event.nextAttemptAt = Date.now() + Math.min(MAX_BACKOFF_MS, 500 * 2 ** event.attempts);
          store.save();
        }
      }
    } finally {
      isRunning = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  return () => clearInterval(timer);
}
