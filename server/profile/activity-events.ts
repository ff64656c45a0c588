/**
 * Live activity for the browser: one LISTEN connection per app process turns Postgres
 * notifications (sent in the same transactions that change deliveries) into per-user events,
 * so a change made through any app instance or worker reaches every open Activity page.
 */
import { EventEmitter, on } from "node:events";
import pg from "pg";
import { env } from "../env";
import { logError } from "../log";
import { ACTIVITY_CHANNEL } from "./notify";

const emitter = new EventEmitter();
emitter.setMaxListeners(0);
let listening: Promise<void> | null = null;

function listen(): Promise<void> {
  return (listening ??= (async () => {
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    client.on("notification", (message) => {
      if (message.payload) emitter.emit(message.payload);
    });
    client.on("error", (error) => {
      logError("activity listener", error);
      listening = null; // the next subscriber reconnects
    });
    await client.connect();
    await client.query(`LISTEN ${ACTIVITY_CHANNEL}`);
  })().catch((error: unknown) => {
    listening = null;
    throw error;
  }));
}

/** Yields whenever something about this user's updates or deliveries changed. */
export async function* activityEvents(userId: string, signal: AbortSignal | undefined): AsyncGenerator<Date> {
  await listen();
  try {
    for await (const _ of on(emitter, userId, { signal })) yield new Date();
  } catch (error) {
    // The browser went away: the subscription ends quietly.
    if ((error as Error).name !== "AbortError") throw error;
  }
}
