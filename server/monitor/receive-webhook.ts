/**
 * The monitor (patent: the monitor module): a change made inside a network arrives as a webhook
 * or through a watching client, is recorded as an InboundEvent and routed to its account's queue
 * of jobs. The network's connector verifies a webhook and opens its envelope (event id, login);
 * it parses the rest when the job runs, so a malformed payload ends as a recorded refusal instead
 * of blocking anything.
 */
import type { TConnectorResolver } from "../connectors/registry";
import { scanJson } from "../connectors/event-json";
import { processConnectors } from "../connectors/process";
import { db as processDb, type TDb } from "../db";
import { enqueueInboundEvent, wakeWorkers } from "../dispatch/queue";

export interface TWebhookOutcome {
  status: 202 | 400 | 401 | 404 | 409 | 413;
  message: string;
}

export interface TWebhookInput {
  networkId: string;
  headers: Headers;
  body: string;
  now?: Date;
}

/** The largest event a network's webhook may send; null when it sends none (unknown network). */
export function webhookMaxBytes(connectors: TConnectorResolver, networkId: string): number | null {
  const feed = connectors(networkId)?.feed;
  return feed?.kind === "webhook" ? feed.maxBytes : null;
}

/** The webhook route's entry (app/api/webhooks/[network]): this process's database and connectors. */
export function receiveProcessWebhook(input: TWebhookInput): Promise<TWebhookOutcome> {
  return receiveWebhook(processDb, processConnectors(), input);
}

export async function receiveWebhook(
  db: TDb,
  connectors: TConnectorResolver,
  input: TWebhookInput,
): Promise<TWebhookOutcome> {
  const feed = connectors(input.networkId)?.feed;
  if (feed?.kind !== "webhook") return { status: 404, message: "Unknown network." };
  if (Buffer.byteLength(input.body) > feed.maxBytes) {
    return { status: 413, message: `Events are limited to ${feed.maxBytes} bytes.` };
  }
  const event = feed.open({ headers: input.headers, body: input.body, now: input.now ?? new Date() });
  if (!event.isValid) return { status: event.status, message: event.message };
  const isRecorded = await recordInboundEvent(db, {
    networkId: input.networkId,
    id: event.id,
    login: event.login,
    payload: event.payload,
    isUnstorable: scanJson(input.body).isUnstorable,
  });
  if (!isRecorded) return { status: 409, message: "Event already received." };
  return { status: 202, message: "Accepted." };
}

/**
 * Records one event a network sent and routes it to its account; false when it was recorded
 * before. The (network, event id) pair is unique, so a replayed event cannot be recorded twice. An
 * event for no linked account is kept, marked ignored, and goes nowhere. One whose values hold a NUL
 * or half a surrogate pair is kept without them (jsonb cannot hold them), marked rejected, and goes
 * nowhere either.
 */
export async function recordInboundEvent(
  db: TDb,
  event: { networkId: string; id: string; login: string; payload: object; isUnstorable?: boolean },
): Promise<boolean> {
  const account = await db.linkedAccount.findUnique({
    where: { networkId_login: { networkId: event.networkId, login: event.login } },
    select: { id: true, userId: true },
  });
  const refusal = account
    ? event.isUnstorable
      ? { outcome: "rejected", note: "The event holds a NUL or a broken character; its values were not taken." }
      : null
    : { outcome: "ignored", note: "No linked account." };
  return db.$transaction(async (tx) => {
    const recorded = await tx.inboundEvent.createManyAndReturn({
      data: [
        {
          networkId: event.networkId,
          externalId: event.id,
          linkedAccountId: account?.id ?? null,
          login: event.login,
          payload: event.isUnstorable ? { id: event.id, network: event.networkId, login: event.login } : event.payload,
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
}
