import { z } from "zod";
import { MOOD_IDS } from "../../../sync/moods";
import { ZAccountStatus, ZField } from "../registration/schemas";

import { normalizeDisplayName, PROFILE_LIMITS, profileTextProblem } from "../../../sync/text";

export { PROFILE_LIMITS };

/** One line of profile text: at most `max` graphemes, no control or direction-override characters. */
const zProfileText = (label: string, max: number) =>
  z.string().superRefine((value, ctx) => {
    const problem = profileTextProblem(label, value, max);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const ZProfileFields = z.object({
  displayName: z
    .string()
    .overwrite(normalizeDisplayName)
    .pipe(zProfileText("The display name", PROFILE_LIMITS.displayName))
    .nullable(),
  signature: zProfileText("The signature", PROFILE_LIMITS.signature).nullable(),
  mood: z.enum(MOOD_IDS).nullable(),
  moodText: zProfileText("The mood text", PROFILE_LIMITS.moodText).nullable(),
});

/** Stored profile text as it is read back: the input rules above are not re-checked on output. */
const ZStoredFields = z.object({
  displayName: z.string().nullable(),
  signature: z.string().nullable(),
  mood: z.string().nullable(),
  moodText: z.string().nullable(),
  avatarSha256: z.string().nullable(),
});

export const ZProfile = ZStoredFields.extend({ version: z.number() });

export const ZUpdateInput = ZProfileFields.partial().extend({
  /** A new avatar as base64 (at most 5 MB of image), or null to remove it. */
  avatarBase64: z
    .string()
    .max(7_000_000, "Avatars can be at most 5 MB.")
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, "The avatar upload is damaged.")
    .nullable()
    .optional(),
});

export const ZUpdateResult = z
  .object({ version: z.number(), changedFields: z.array(ZField), deliveries: z.number() })
  .nullable();

const ZSkipped = z.object({ field: ZField, reason: z.enum(["unsupported", "not_synced"]) });
const ZWarning = z.object({ field: ZField, message: z.string() });

export const ZPreview = z.array(
  z.object({
    accountId: z.string(),
    networkId: z.string(),
    networkName: z.string(),
    login: z.string(),
    status: ZAccountStatus,
    settings: z.object({
      displayName: z.string().optional(),
      signature: z.string().optional(),
      mood: z.string().nullable().optional(),
      moodText: z.string().optional(),
    }),
    avatar: z
      .object({
        formats: z.array(z.string()).readonly(),
        maxBytes: z.number(),
        minPx: z.number(),
        maxPx: z.number(),
        isSquare: z.boolean(),
      })
      .nullable(),
    skipped: z.array(ZSkipped),
    warnings: z.array(ZWarning),
  }),
);

export const ZActivity = z.array(
  z.object({
    id: z.string(),
    version: z.number(),
    source: z.string(),
    sourceLogin: z.string().nullable(),
    changedFields: z.array(ZField),
    snapshot: ZStoredFields,
    createdAt: z.date(),
    deliveries: z.array(
      z.object({
        id: z.string(),
        networkId: z.string(),
        networkName: z.string(),
        login: z.string(),
        state: z.enum(["QUEUED", "SENDING", "DELIVERED", "RETRYING", "FAILED", "SKIPPED", "SUPERSEDED"]),
        attempts: z.number(),
        nextAttemptAt: z.date(),
        lastError: z.string().nullable(),
        deliveredAt: z.date().nullable(),
        skipped: z.array(ZSkipped),
        warnings: z.array(ZWarning),
      }),
    ),
  }),
);
