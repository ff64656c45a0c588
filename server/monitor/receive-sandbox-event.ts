/**
 * The monitor's webhook path for sandbox networks: a change made inside a network arrives here,
 * is verified, recorded as an InboundEvent and routed to its account's queue of jobs. Only the
 * envelope is read here (event id, login); the connector parses the rest when the job runs, so
 * a malformed payload ends as a recorded refusal instead of blocking anything.
 */
import { z } from "zod";
import { db as processDb, type TDb } from "../db";
import { env } from "../env";
import { isSandboxNetworkId } from "../../sandbox/networks";
import { enqueueInboundEvent, wakeWorkers } from "../dispatch/queue";
import { checkSignature } from "./webhook-signature";

/** Half a surrogate pair: not a character; Postgres cannot store it in text or jsonb. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * No control characters and no half surrogate pairs: Postgres cannot store a NUL or a half pair,
 * and none belongs in an id or a login (the fuzz test found a half pair in an id answered 500).
 */
const zPlain = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\u0000-\u001F\u007F]*$/)
    .refine((value) => !LONE_SURROGATE.test(value));

const ZEnvelope = z.looseObject({
  id: zPlain(200),
  network: zPlain(40),
  login: zPlain(320),
});

/** A sandbox event is a few kilobytes; its texts are at most 4,000 characters each. */
export const MAX_EVENT_BYTES = 64 * 1024;
/** The deepest nesting of arrays and objects an event may have (a real one has 3). */
const MAX_EVENT_DEPTH = 16;

/**
 * The deepest nesting in a JSON text, and whether a string in it holds what a jsonb column
 * refuses: a NUL (`\u0000`) or half of a surrogate pair. Read from the text, so a hostile
 * nesting costs no recursion anywhere.
 */
export function scanJson(text: string): { depth: number; isUnstorable: boolean } {
  let depth = 0;
  let deepest = 0;
  let isUnstorable = false;
  let isInString = false;
  let isAfterHigh = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (isInString) {
      const unit = char === "\\" && text[index + 1] === "u" ? parseInt(text.slice(index + 2, index + 6), 16) : null;
      const isHigh = unit !== null && unit >= 0xd800 && unit <= 0xdbff;
      const isLow = unit !== null && unit >= 0xdc00 && unit <= 0xdfff;
      if (unit === 0 || (isAfterHigh && !isLow) || (!isAfterHigh && isLow)) isUnstorable = true;
      isAfterHigh = isHigh;
      if (char === "\\") index += unit === null ? 1 : 5;
      else if (char === '"') isInString = false;
    } else if (char === '"') isInString = true;
    else if (char === "{" || char === "[") deepest = Math.max(deepest, ++depth);
    else if (char === "}" || char === "]") depth--;
  }
  return { depth: deepest, isUnstorable };
}

export interface TWebhookOutcome {
  status: 202 | 400 | 401 | 404 | 409 | 413;
  message: string;
}

export interface TSandboxEvent {
  networkId: string;
  secret: string;
  timestamp: string | null;
  signature: string | null;
  body: string;
  now?: Date;
}

/** The webhook route's entry (app/api/webhooks/sandbox): this process's database and webhook secret. */
export function receiveSandboxWebhook(input: Omit<TSandboxEvent, "secret" | "now">): Promise<TWebhookOutcome> {
  return receiveSandboxEvent(processDb, { ...input, secret: env.SANDBOX_WEBHOOK_SECRET });
}

export async function receiveSandboxEvent(db: TDb, input: TSandboxEvent): Promise<TWebhookOutcome> {
  if (!isSandboxNetworkId(input.networkId)) return { status: 404, message: "Unknown network." };
  if (Buffer.byteLength(input.body) > MAX_EVENT_BYTES) {
    return { status: 413, message: `Events are limited to ${MAX_EVENT_BYTES} bytes.` };
  }
  const verdict = checkSignature({
    secret: input.secret,
    timestamp: input.timestamp,
    signature: input.signature,
    body: input.body,
    nowSeconds: Math.floor((input.now ?? new Date()).getTime() / 1000),
  });
  if (verdict === "bad_signature") return { status: 401, message: "Invalid signature." };
  if (verdict === "malformed") return { status: 400, message: "Missing or malformed signature headers." };
  if (verdict === "stale") return { status: 400, message: "Timestamp outside the five-minute window." };

  const scan = scanJson(input.body);
  if (scan.depth > MAX_EVENT_DEPTH) return { status: 400, message: "Malformed event: nested too deeply." };
  let event: z.infer<typeof ZEnvelope>;
  try {
    event = ZEnvelope.parse(JSON.parse(input.body));
  } catch {
    return { status: 400, message: "Malformed event." };
  }
  if (event.network !== input.networkId) return { status: 400, message: "Event is for another network." };

  const account = await db.linkedAccount.findUnique({
    where: { networkId_login: { networkId: input.networkId, login: event.login } },
    select: { id: true, userId: true },
  });
  // The (network, event id) pair is unique: a replayed event cannot be recorded twice. An event
  // for no linked account is kept, marked ignored, and goes nowhere. One whose values hold a NUL
  // or half a surrogate pair is kept without them (jsonb cannot hold them), marked rejected, and
  // goes nowhere either.
  const refusal = account
    ? scan.isUnstorable
      ? { outcome: "rejected", note: "The event holds a NUL or a broken character; its values were not taken." }
      : null
    : { outcome: "ignored", note: "No linked account." };
  const isRecorded = await db.$transaction(async (tx) => {
    const recorded = await tx.inboundEvent.createManyAndReturn({
      data: [
        {
          networkId: input.networkId,
          externalId: event.id,
          linkedAccountId: account?.id ?? null,
          login: event.login,
          payload: scan.isUnstorable ? { id: event.id, network: event.network, login: event.login } : (event as object),
          ...(refusal ? { processedAt: new Date(), ...refusal } : {}),
        },
      ],
      skipDuplicates: true,
      select: { id: true },
    });
    if (recorded.length === 0) return false;
    if (account && !refusal) {
      await enqueueInboundEvent(tx, { userId: account.userId, accountId: account.id, eventId: recorded[0]!.id });
      await wakeWorkers(tx);
    }
    return true;
  });
  if (!isRecorded) return { status: 409, message: "Event already received." };
  return { status: 202, message: "Accepted." };
}
