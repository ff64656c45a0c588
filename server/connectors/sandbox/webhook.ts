/**
 * The sandbox networks' change feed: signed webhooks to /api/webhooks/<network>. Each carries
 * `x-sandbox-timestamp` and `x-sandbox-signature` (./webhook-signature.ts) and a JSON event whose
 * envelope names its id, network and login; the rest is read by `parseReport` when its job runs, so
 * a malformed payload ends as a recorded refusal instead of blocking anything.
 */
import { z } from "zod";
import { MAX_EVENT_DEPTH, scanJson, zPlain } from "../event-json";
import type { TChangeFeed, TWebhookVerdict } from "../types";
import { checkSignature } from "./webhook-signature";

/** A sandbox event is a few kilobytes; its texts are at most 4,000 characters each. */
export const MAX_EVENT_BYTES = 64 * 1024;

const ZEnvelope = z.looseObject({ id: zPlain(200), network: zPlain(40), login: zPlain(320) });

export function sandboxWebhookFeed(networkId: string, secret: string): TChangeFeed {
  return {
    kind: "webhook",
    maxBytes: MAX_EVENT_BYTES,
    open({ headers, body, now }): TWebhookVerdict {
      const verdict = checkSignature({
        secret,
        timestamp: headers.get("x-sandbox-timestamp"),
        signature: headers.get("x-sandbox-signature"),
        body,
        nowSeconds: Math.floor(now.getTime() / 1000),
      });
      if (verdict === "bad_signature") return { isValid: false, status: 401, message: "Invalid signature." };
      if (verdict === "malformed")
        return { isValid: false, status: 400, message: "Missing or malformed signature headers." };
      if (verdict === "stale")
        return { isValid: false, status: 400, message: "Timestamp outside the five-minute window." };
      if (scanJson(body).depth > MAX_EVENT_DEPTH)
        return { isValid: false, status: 400, message: "Malformed event: nested too deeply." };
      let event: z.infer<typeof ZEnvelope>;
      try {
        event = ZEnvelope.parse(JSON.parse(body));
      } catch {
        return { isValid: false, status: 400, message: "Malformed event." };
      }
      if (event.network !== networkId) return { isValid: false, status: 400, message: "Event is for another network." };
      return { isValid: true, id: event.id, login: event.login, payload: event };
    },
  };
}
