/**
 * Mapping the unified profile onto one network: only the fields asked for, cut to the network's
 * limits, the mood in the network's words. Fields the network lacks or the user opted out of
 * are listed as skipped, never silently dropped. Pure: data in, data out.
 */
import type { TCapabilities } from "../connectors/types";
import { moodLabel } from "./moods";
import type { TMappedDraft, TProfileField, TProfileSnapshot } from "./state";
import { fitText } from "./text";

export type { TMappedDraft, TProfileSnapshot } from "./state";

export type TSkipReason = "unsupported" | "not_synced";
export interface TSkipped {
  field: TProfileField;
  reason: TSkipReason;
}
export interface TWarning {
  field: TProfileField;
  message: string;
}

export interface TMapping {
  settings: TMappedDraft;
  skipped: TSkipped[];
  warnings: TWarning[];
}

export function mapMood(
  mood: string,
  capability: NonNullable<TCapabilities["mood"]>,
  networkName: string,
): { value: string; warning?: string } | null {
  const mapped = capability.map[mood];
  if (mapped) return { value: mapped };
  if (capability.fallback) {
    return {
      value: capability.fallback,
      warning: `${networkName} has no “${moodLabel(mood)}” mood; it gets “${capability.fallback}” instead.`,
    };
  }
  return null;
}

/** The network's mood word back in OneProfile's vocabulary (for changes made inside it). */
export function moodFromNetwork(value: string, capability: NonNullable<TCapabilities["mood"]>): string | null {
  const entry = Object.entries(capability.map).find(([, word]) => word === value);
  return entry ? entry[0] : null;
}

export function mapSettings(input: {
  snapshot: TProfileSnapshot;
  fields: readonly TProfileField[];
  sync: Record<TProfileField, boolean>;
  capabilities: TCapabilities;
  networkName: string;
}): TMapping {
  const { snapshot, capabilities, networkName } = input;
  const mapping: TMapping = { settings: {}, skipped: [], warnings: [] };
  const fitInto = (field: "displayName" | "signature", value: string, max: number, label: string) => {
    const fitted = fitText(value, max);
    if (fitted.isTruncated) {
      mapping.warnings.push({ field, message: `${label} shortened to ${networkName}'s limit of ${max} characters.` });
    }
    return fitted.text;
  };

  for (const field of input.fields) {
    if (!input.sync[field]) {
      mapping.skipped.push({ field, reason: "not_synced" });
      continue;
    }
    switch (field) {
      case "displayName": {
        const capability = capabilities.displayName;
        // Networks require a display name: clearing it in OneProfile leaves theirs as it is.
        if (!capability || !snapshot.displayName) {
          mapping.skipped.push({ field, reason: "unsupported" });
          break;
        }
        mapping.settings.displayName = fitInto(field, snapshot.displayName, capability.maxGraphemes, "Display name");
        break;
      }
      case "signature": {
        const capability = capabilities.signature;
        if (!capability) {
          mapping.skipped.push({ field, reason: "unsupported" });
          break;
        }
        mapping.settings.signature = fitInto(field, snapshot.signature ?? "", capability.maxGraphemes, "Signature");
        break;
      }
      case "mood": {
        const capability = capabilities.mood;
        if (!capability) {
          mapping.skipped.push({ field, reason: "unsupported" });
          break;
        }
        if (snapshot.mood === null) {
          mapping.settings.mood = null;
        } else {
          const mapped = mapMood(snapshot.mood, capability, networkName);
          if (!mapped) {
            mapping.skipped.push({ field, reason: "unsupported" });
            break;
          }
          mapping.settings.mood = mapped.value;
          if (mapped.warning) mapping.warnings.push({ field, message: mapped.warning });
        }
        if (capability.maxTextGraphemes === 0) {
          if (snapshot.moodText) {
            mapping.warnings.push({ field, message: `${networkName} shows no mood text; only the mood is sent.` });
          }
        } else if (capability.isTextWithMoodOnly && mapping.settings.mood === null) {
          mapping.settings.moodText = "";
          if (snapshot.moodText) {
            mapping.warnings.push({
              field,
              message: `${networkName} shows a mood text only beside a mood; it goes with the next mood you pick.`,
            });
          }
        } else {
          const fitted = fitText(snapshot.moodText ?? "", capability.maxTextGraphemes);
          mapping.settings.moodText = fitted.text;
          if (fitted.isTruncated) {
            mapping.warnings.push({
              field,
              message: `Mood text shortened to ${networkName}'s limit of ${capability.maxTextGraphemes} characters.`,
            });
          }
        }
        break;
      }
      case "avatar": {
        if (!capabilities.avatar) {
          mapping.skipped.push({ field, reason: "unsupported" });
          break;
        }
        mapping.settings.avatarSha256 = snapshot.avatarSha256;
        break;
      }
    }
  }
  return mapping;
}
