/**
 * The sandbox connector's contract: what it encodes of each network (./networks.ts) is what the
 * running vendor publishes at `GET /<network>/api/capabilities`, and a session it opens is kept
 * with the account's credentials, so a second client does not sign in again.
 */
import { describe, expect, it } from "vitest";
import { setupTestSandbox } from "../../../test/sandbox";
import type { TCredentials } from "../types";
import { createSandboxConnector } from "./connector";
import { SANDBOX_NETWORK_IDS, SANDBOX_RULES } from "./networks";

const sandbox = await setupTestSandbox();

describe("the sandbox connector", () => {
  it.each(SANDBOX_NETWORK_IDS)("encodes what %s publishes", async (id) => {
    const response = await fetch(`${sandbox.url}/${id}/api/capabilities`);
    expect(response.status).toBe(200);
    const { login, limits } = SANDBOX_RULES[id];
    expect(await response.json()).toEqual({ login: { label: login.label, pattern: login.pattern.source }, limits });
  });

  it("keeps the session it opened with the credentials, and signs in again only when it is refused", async () => {
    const connector = createSandboxConnector("qq", { url: sandbox.url, webhookSecret: "unused-here" });
    await sandbox.createAccount("qq", "70001", "pw-1");
    const saved: TCredentials[] = [];
    const context = (credentials: TCredentials) => ({
      credentials,
      saveCredentials: async (next: TCredentials) => void saved.push(next),
    });
    const first = connector.client(context({ login: "70001", secret: "pw-1" }));
    await first.read();
    expect(saved).toHaveLength(1);
    expect(JSON.parse(saved[0]!.session!)).toMatchObject({ token: expect.any(String), expiresAt: expect.any(Number) });

    // Another worker's client, given what was saved: no sign-in (nothing new to save).
    const second = connector.client(context(saved[0]!));
    await second.read();
    expect(saved).toHaveLength(1);

    // A kept token the vendor no longer accepts: one sign-in, and the new session is saved.
    const stale = { ...saved[0]!, session: JSON.stringify({ token: "revoked", expiresAt: Date.now() + 60_000 }) };
    await connector.client(context(stale)).read();
    expect(saved).toHaveLength(2);

    // A password the vendor refuses is an auth error, not an exception of another kind.
    await sandbox.setPassword("qq", "70001", "pw-2");
    await expect(connector.client(context({ login: "70001", secret: "pw-1" })).verify()).rejects.toMatchObject({
      kind: "auth",
    });
  });
});
