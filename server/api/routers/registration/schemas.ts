import { z } from "zod";

import { ZCapabilities } from "../../../connectors/types";
import { ZProfileField as ZField } from "../../../sync/state";

export { ZField };

export const ZNetworkView = z.object({
  id: z.string(),
  displayName: z.string(),
  isEnabled: z.boolean(),
  hasConnector: z.boolean(),
  isLinkable: z.boolean(),
  color: z.string(),
  capabilities: ZCapabilities,
  loginForm: z.object({
    loginLabel: z.string(),
    loginPlaceholder: z.string(),
    loginHint: z.string(),
    secretLabel: z.string(),
    server: z.object({ label: z.string(), placeholder: z.string(), hint: z.string() }).optional(),
  }),
});

/** Whether an account takes part in syncing (server/sync/account-status.ts). */
export const ZAccountStatus = z.enum(["active", "needs_reauth", "paused", "disabled"]);

/** A linked account as the browser sees it: never the credentials. */
export const ZAccountView = z.object({
  id: z.string(),
  networkId: z.string(),
  networkName: z.string(),
  login: z.string(),
  status: ZAccountStatus,
  consecutiveFailures: z.number(),
  sync: z.object({ avatar: z.boolean(), displayName: z.boolean(), signature: z.boolean(), mood: z.boolean() }),
  /** The fields this account can show (its server's, where it has fewer than its network). */
  supported: z.object({ avatar: z.boolean(), displayName: z.boolean(), signature: z.boolean(), mood: z.boolean() }),
  verifiedAt: z.date(),
  createdAt: z.date(),
});

export const ZAccountId = z.object({ accountId: z.uuid("Unknown account.") });

export const ZLinkInput = z.object({
  networkId: z.string().min(1).max(64),
  login: z.string().trim().min(1, "Enter your login.").max(320),
  secret: z.string().min(1, "Enter your password.").max(1024),
  /** Where the account lives, for a network whose form asks (empty: where the login says). */
  server: z.string().trim().max(300).optional(),
  consent: z.literal(true, { error: "Please allow OneProfile to update this account." }),
});

export const ZSetFieldsInput = ZAccountId.extend({
  fields: z.partialRecord(ZField, z.boolean()).refine((f) => Object.keys(f).length > 0, "Choose at least one field."),
});

/** Linking also says what happened first: the account's profile imported, or the portal's sent. */
export const ZLinkResult = ZAccountView.extend({ initialSync: z.enum(["imported", "sent", "nothing"]) });
