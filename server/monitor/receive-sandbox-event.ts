/**
 * The monitor's webhook path for sandbox networks: a change made inside a network arrives here,
 * is verified, recorded as an InboundEvent and routed to its account's queue of jobs. Only the
 * envelope is read here (event id, login); the connector parses the rest when the job runs, so
 * a malformed payload ends as a recorded refusal instead of blocking anything.
 */
import { z } from "zod";
import type { TDb } from "../db";
import { isSandboxNetworkId } from "../../sandbox/networks";
import { enqueueInboundEvent, wakeWorkers } from "../dispatch/queue";
import { checkSignature } from "./webhook-signature";

const ZEnvelope = z.looseObject({
  id: z.string().min(1).max(200),
  network: z.string().max(40),
  login: z.string().min(1).max(320),
});

export interface TWebhookOutcome {
  status: 202 | 400 | 401 | 404 | 409;
  message: string;
}

export async function receiveSandboxEvent(
  db: TDb,
  input: {
    networkId: string;
    secret: string;
    timestamp: string | null;
    signature: string | null;
    body: string;
    now?: Date;
  },
): Promise<TWebhookOutcome> {
  if (!isSandboxNetworkId(input.networkId)) return { status: 404, message: "Unknown network." };
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
  // for no linked account is kept, marked ignored, and goes nowhere.
  const isRecorded = await db.$transaction(async (tx) => {
    const recorded = await tx.inboundEvent.createManyAndReturn({
      data: [
        {
          networkId: input.networkId,
          externalId: event.id,
          linkedAccountId: account?.id ?? null,
          login: event.login,
          payload: event as object,
          ...(account ? {} : { processedAt: new Date(), outcome: "ignored", note: "No linked account." }),
        },
      ],
      skipDuplicates: true,
      select: { id: true },
    });
    if (recorded.length === 0) return false;
    if (account) {
      await enqueueInboundEvent(tx, { userId: account.userId, accountId: account.id, eventId: recorded[0]!.id });
      await wakeWorkers(tx);
    }
    return true;
  });
  if (!isRecorded) return { status: 409, message: "Event already received." };
  return { status: 202, message: "Accepted." };
}
