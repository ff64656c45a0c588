/**
 * The monitor's webhook path for sandbox networks: a change made inside a network arrives here,
 * is verified and recorded as an InboundEvent. The sync engine turns recorded events into
 * profile updates.
 */
import { z } from "zod";
import type { TDb } from "../db";
import { isSandboxNetworkId } from "../../sandbox/networks";
import { wakeWorkers } from "../dispatch/queue";
import { checkSignature } from "./webhook-signature";

const ZSandboxEvent = z.object({
  id: z.string().min(1).max(200),
  type: z.literal("profile.updated"),
  network: z.string(),
  login: z.string().min(1),
  changed: z.array(z.string()),
  profile: z.record(z.string(), z.unknown()),
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

  let event: z.infer<typeof ZSandboxEvent>;
  try {
    event = ZSandboxEvent.parse(JSON.parse(input.body));
  } catch {
    return { status: 400, message: "Malformed event." };
  }
  if (event.network !== input.networkId) return { status: 400, message: "Event is for another network." };

  const account = await db.linkedAccount.findUnique({
    where: { networkId_login: { networkId: input.networkId, login: event.login } },
    select: { id: true },
  });
  // The (network, event id) pair is unique: a replayed event cannot be recorded twice.
  const inserted = await db.inboundEvent.createMany({
    data: [
      {
        networkId: input.networkId,
        externalId: event.id,
        linkedAccountId: account?.id ?? null,
        login: event.login,
        payload: event as object,
      },
    ],
    skipDuplicates: true,
  });
  if (inserted.count === 0) return { status: 409, message: "Event already received." };
  await wakeWorkers(db);
  return { status: 202, message: "Accepted." };
}
