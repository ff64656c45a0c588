/**
 * Verifying a vendor webhook: HMAC-SHA256 over "timestamp.body" with the shared secret,
 * compared in constant time, and a timestamp no more than five minutes away (replays of the
 * same event are refused by the event id: server/monitor/receive-webhook.ts).
 */
import { createHmac, timingSafeEqual } from "node:crypto";

import { MAX_WEBHOOK_AGE_SECONDS } from "../event-json";

export type TSignatureCheck = "valid" | "bad_signature" | "stale" | "malformed";

export function signPayload(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export function checkSignature(input: {
  secret: string;
  timestamp: string | null;
  signature: string | null;
  body: string;
  nowSeconds: number;
}): TSignatureCheck {
  if (!input.timestamp || !/^\d{1,12}$/.test(input.timestamp) || !input.signature) return "malformed";
  const timestamp = Number(input.timestamp);
  const expected = Buffer.from(signPayload(input.secret, timestamp, input.body));
  const actual = Buffer.from(input.signature);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return "bad_signature";
  if (Math.abs(input.nowSeconds - timestamp) > MAX_WEBHOOK_AGE_SECONDS) return "stale";
  return "valid";
}
