/** Reading a sandbox webhook event (recorded by the monitor) as a report of the network's change. */
import { z } from "zod";
import { ConnectorError, type TNetworkReport } from "../types";

/** The sandbox's webhook event, checked field by field before anything uses it. */
const ZSandboxEvent = z.object({
  type: z.literal("profile.updated"),
  login: z.string().min(1).max(320),
  version: z.number().int().nonnegative(),
  idempotencyKey: z.string().max(500).nullable().optional(),
  changed: z.array(z.string().max(40)).max(10),
  profile: z.object({
    displayName: z.string().max(4000),
    signature: z.string().max(4000),
    mood: z.string().max(100).nullable(),
    moodText: z.string().max(4000).optional(),
    avatar: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), url: z.string().max(2000) }).nullable(),
  }),
});

export function parseSandboxReport(payload: unknown): TNetworkReport {
  const parsed = ZSandboxEvent.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConnectorError(
      "permanent",
      `The event is not valid: ${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}.`,
    );
  }
  const event = parsed.data;
  const changed = new Set(event.changed);
  const report: TNetworkReport = {
    login: event.login,
    fields: [],
    values: {},
    mark: event.version,
    writeKey: event.idempotencyKey ?? null,
    // The sandbox names the key of every API write in its events: one without is a web change.
    isWriterKnown: true,
  };
  if (changed.has("displayName")) {
    report.fields.push("displayName");
    report.values.displayName = event.profile.displayName;
  }
  if (changed.has("signature")) {
    report.fields.push("signature");
    report.values.signature = event.profile.signature;
  }
  if (changed.has("mood") || changed.has("moodText")) {
    report.fields.push("mood");
    report.values.mood = event.profile.mood;
    report.values.moodText = event.profile.moodText ?? "";
  }
  if (changed.has("avatar")) {
    report.fields.push("avatar");
    report.values.avatar = event.profile.avatar;
  }
  return report;
}
