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
let started: Promise<void> | null = null;
const RECONNECT_MS = 1000;

/**
 * Keeps one LISTEN connection for the process. When it drops (Postgres restarted, network
 * blip) it connects again by itself, and every open page is told to refetch, since
 * notifications sent meanwhile were lost.
 */
function connect(onFirst: (error?: unknown) => void): void {
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  let isGone = false;
  const reconnect = (error?: unknown) => {
    if (isGone) return;
    isGone = true;
    if (error) logError("activity listener", error);
    void client.end().catch(() => {});
    setTimeout(() => connect(() => {}), RECONNECT_MS).unref();
  };
  client.on("notification", (message) => {
    if (message.payload) emitter.emit(message.payload);
  });
  client.on("error", reconnect);
  client.on("end", () => reconnect());
  client
    .connect()
    .then(() => client.query(`LISTEN ${ACTIVITY_CHANNEL}`))
    .then(() => {
      // Whatever happened while we were not listening: let every subscriber look again.
      for (const userId of emitter.eventNames()) emitter.emit(userId);
      onFirst();
    })
    .catch((error: unknown) => {
      onFirst(error);
      reconnect(error);
    });
}

function listen(): Promise<void> {
  return (started ??= new Promise<void>((resolve) => connect(() => resolve())));
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
