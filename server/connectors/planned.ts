/**
 * Networks we will support and list as "coming soon": no connector yet, so not linkable. Their
 * capabilities come from the vendors' API descriptions (../shared/specs/README.md).
 */
import { z } from "zod";
import type { TNetworkDefinition } from "./types";

const planned = (
  id: string,
  displayName: string,
  color: string,
  capabilities: TNetworkDefinition["capabilities"],
  loginLabel: string,
  loginPlaceholder: string,
): TNetworkDefinition => ({
  id,
  displayName,
  color,
  capabilities,
  // Not linkable yet; when they are, networks that cannot push are read back every few minutes.
  readBackEveryMs: 5 * 60 * 1000,
  loginFlows: [
    {
      kind: "password",
      loginLabel,
      loginPlaceholder,
      loginHint: "",
      secretLabel: "Password or token",
      loginSchema: z.string().trim().min(1),
    },
  ],
});

export const PLANNED_NETWORKS: TNetworkDefinition[] = [
  planned(
    "matrix",
    "Matrix",
    "#0dbd8b",
    {
      displayName: { maxGraphemes: 255 },
      signature: { maxGraphemes: 255 },
      avatar: {
        formats: ["png", "jpeg", "gif", "webp"],
        maxBytes: 50 * 1024 * 1024,
        minPx: 1,
        maxPx: 8192,
        isSquare: false,
      },
    },
    "Matrix ID",
    "@you:matrix.org",
  ),
  planned(
    "mastodon",
    "Mastodon",
    "#6364ff",
    {
      displayName: { maxGraphemes: 30 },
      signature: { maxGraphemes: 500 },
      avatar: {
        formats: ["png", "jpeg", "gif", "webp"],
        maxBytes: 2 * 1024 * 1024,
        minPx: 1,
        maxPx: 400,
        isSquare: false,
      },
    },
    "Mastodon handle",
    "@you@mastodon.social",
  ),
  planned(
    "slack",
    "Slack",
    "#4a154b",
    {
      displayName: { maxGraphemes: 80 },
      signature: { maxGraphemes: 100 },
      avatar: { formats: ["png", "jpeg", "gif"], maxBytes: 1024 * 1024, minPx: 512, maxPx: 1024, isSquare: true },
    },
    "Slack workspace and email",
    "team.slack.com / you@example.com",
  ),
];
