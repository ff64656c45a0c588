/** The sandbox vendor's wire types that its clients (OneProfile's tests) read. */
import type { TSandboxNetworkId } from "./networks";
import type { TApplyLogEntry, TAvatar } from "./store";

export type { TApplyLogEntry };

/** The body of a `profile.updated` webhook. */
export interface TSandboxWebhookEvent {
  id: string;
  type: "profile.updated";
  network: TSandboxNetworkId;
  login: string;
  origin: "api" | "web";
  occurredAt: string;
  /** The account's version and timestamp right after this change. */
  version: number;
  updatedAt: string;
  changed: string[];
  /** The Idempotency-Key of the API write that caused the change; null for web-UI changes. */
  idempotencyKey: string | null;
  profile: {
    displayName: string;
    signature: string;
    mood: string | null;
    moodText: string;
    avatar: (TAvatar & { url: string }) | null;
  };
}

/** What `GET /__admin/quiet` answers. */
export interface TSandboxQuiet {
  isQuiet: boolean;
  outbox: number;
  apiInFlight: number;
  webhooksInFlight: number;
  dropped: number;
}
