/**
 * The sandbox third-party server: per emulated network an authenticated HTTP API (with
 * idempotency and fault injection), a small web UI where a person edits the profile inside that
 * network, and admin endpoints for tests and benchmarks.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { HttpBindings } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { isSandboxNetworkId, SANDBOX_NETWORKS, type TSandboxNetworkId } from "./networks";
import { applyChange, inspectAvatar, validatePatch, VendorError, type TChange, type TProfilePatch } from "./profile";
import { NO_FAULTS, type SandboxStore, type TAccount, type TFaults } from "./store";
import { renderHome, renderProfilePage, renderSignInPage } from "./ui";

type TEnv = { Bindings: HttpBindings; Variables: { network: TSandboxNetworkId; account: TAccount } };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function vendorError(c: Context, error: VendorError) {
  return c.json({ error: { code: error.code, message: error.message } }, error.status as 400);
}

/** The profile as the vendor's API shows it, with an absolute avatar URL. */
export function publicProfile(c: Context, network: TSandboxNetworkId, account: TAccount) {
  const origin = new URL(c.req.url).origin;
  const { avatar, ...rest } = account.profile;
  return {
    login: account.login,
    ...rest,
    avatar: avatar ? { ...avatar, url: `${origin}/${network}/avatars/${avatar.sha256}` } : null,
    version: account.version,
    updatedAt: account.updatedAt,
  };
}

export function createSandboxApp(store: SandboxStore) {
  const app = new Hono<TEnv>();

  app.get("/", (c) => c.html(renderHome()));
  app.get("/health", (c) => c.json({ status: "ok" }));

  // ---- admin: fault injection, credential revocation, counters (loopback only, for tests) ----
  app.put("/__admin/faults/:network", async (c) => {
    const network = c.req.param("network");
    if (!isSandboxNetworkId(network)) return c.json({ error: { code: "unknown_network" } }, 404);
    const body = (await c.req.json()) as Partial<TFaults>;
    store.setFaults(network, { ...NO_FAULTS, ...body });
    return c.json(store.network(network).faults);
  });
  app.delete("/__admin/faults", (c) => {
    for (const network of Object.keys(SANDBOX_NETWORKS) as TSandboxNetworkId[])
      store.setFaults(network, { ...NO_FAULTS });
    return c.body(null, 204);
  });
  app.post("/__admin/:network/accounts", async (c) => {
    const network = c.req.param("network");
    if (!isSandboxNetworkId(network)) return c.json({ error: { code: "unknown_network" } }, 404);
    const { login, password, displayName } = (await c.req.json()) as Record<string, string>;
    if (!login || !password) return c.json({ error: { code: "invalid_request" } }, 400);
    store.createAccount(network, login, password, displayName ?? login);
    return c.json({ login }, 201);
  });
  app.post("/__admin/:network/accounts/:login/password", async (c) => {
    const network = c.req.param("network");
    if (!isSandboxNetworkId(network)) return c.json({ error: { code: "unknown_network" } }, 404);
    const { password } = (await c.req.json()) as { password: string };
    return store.setPassword(network, c.req.param("login"), password)
      ? c.body(null, 204)
      : c.json({ error: { code: "unknown_account" } }, 404);
  });
  app.get("/__admin/:network/accounts/:login", (c) => {
    const network = c.req.param("network");
    if (!isSandboxNetworkId(network)) return c.json({ error: { code: "unknown_network" } }, 404);
    const account = store.network(network).accounts[c.req.param("login")];
    if (!account) return c.json({ error: { code: "unknown_account" } }, 404);
    return c.json({ ...publicProfile(c, network, account), apiWrites: account.apiWrites });
  });
  app.get("/__admin/:network/idempotency/:key", (c) => {
    const network = c.req.param("network");
    if (!isSandboxNetworkId(network)) return c.json({ error: { code: "unknown_network" } }, 404);
    const record = Object.entries(store.network(network).idempotency).find(([scoped]) =>
      scoped.endsWith(`|${c.req.param("key")}`),
    )?.[1];
    return c.json({ applications: record?.applications ?? 0, replays: record?.replays ?? 0 });
  });

  // ---- the vendor API ----
  const api = new Hono<TEnv>();

  api.use("*", async (c, next) => {
    const network = c.req.param("network") ?? "";
    if (!isSandboxNetworkId(network))
      return c.json({ error: { code: "unknown_network", message: "No such network." } }, 404);
    c.set("network", network);
    const faults = store.network(network).faults;
    if (faults.isDown) {
      c.env.incoming.socket.destroy();
      return c.body(null);
    }
    if (faults.isTimingOut) {
      // Hold the request until the caller gives up (bounded, so the process never piles up).
      await Promise.race([new Promise((resolve) => c.env.incoming.socket.once("close", resolve)), sleep(10 * 60_000)]);
      c.env.incoming.socket.destroy();
      return c.body(null);
    }
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (faults.rateLimitRetryAfterSeconds !== null) {
      c.header("Retry-After", String(faults.rateLimitRetryAfterSeconds));
      return c.json({ error: { code: "rate_limited", message: "Too many requests." } }, 429);
    }
    if (faults.errorRate > 0 && Math.random() < faults.errorRate) {
      return c.json({ error: { code: "server_error", message: "Internal error." } }, faults.errorStatus);
    }
    await next();
  });

  api.post("/session", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { login?: unknown; password?: unknown };
    if (typeof body.login !== "string" || typeof body.password !== "string") {
      return c.json({ error: { code: "invalid_request", message: "login and password are required." } }, 400);
    }
    const token = store.signIn(c.var.network, body.login, body.password);
    if (!token) return c.json({ error: { code: "invalid_credentials", message: "Wrong login or password." } }, 401);
    const account = store.network(c.var.network).accounts[body.login]!;
    return c.json({ token, expiresIn: 3600, profile: publicProfile(c, c.var.network, account) });
  });

  api.get("/capabilities", (c) => {
    const { login, limits } = SANDBOX_NETWORKS[c.var.network];
    return c.json({ login: { label: login.label, pattern: login.pattern.source }, limits });
  });

  // Everything below needs a session token.
  api.use("*", async (c, next) => {
    const token = c.req.header("authorization")?.match(/^Bearer (.+)$/)?.[1];
    const account = token ? store.accountForToken(c.var.network, token) : null;
    if (!account) return c.json({ error: { code: "invalid_token", message: "Sign in again." } }, 401);
    c.set("account", account);
    await next();
  });

  api.get("/profile", (c) => c.json(publicProfile(c, c.var.network, c.var.account)));

  /**
   * Writes with an Idempotency-Key are applied once: a repeat with the same key and the same
   * request gets the first answer again; the same key with another request is refused.
   */
  async function idempotent(c: Context<TEnv>, body: Buffer, write: () => Promise<TChange>) {
    const key = c.req.header("idempotency-key");
    const records = store.network(c.var.network).idempotency;
    const scoped = key ? `${c.var.account.login}|${key}` : null;
    const fingerprint = createHash("sha256").update(`${c.req.method} ${c.req.path}\n`).update(body).digest("hex");
    const previous = scoped ? records[scoped] : undefined;
    if (previous) {
      if (previous.fingerprint !== fingerprint) {
        return c.json(
          { error: { code: "idempotency_key_reused", message: "This key was used for another request." } },
          422,
        );
      }
      previous.replays++;
      store.save();
      return c.json(previous.body as object, previous.status as 200);
    }
    try {
      const change = await write();
      applyChange(store, c.var.network, c.var.account, change, "api");
      const answer = publicProfile(c, c.var.network, c.var.account);
      if (scoped) {
        records[scoped] = { fingerprint, status: 200, body: answer, applications: 1, replays: 0 };
        store.save();
      }
      return c.json(answer);
    } catch (error) {
      if (error instanceof VendorError) return vendorError(c, error);
      throw error;
    }
  }

  api.patch("/profile", async (c) => {
    const raw = Buffer.from(await c.req.arrayBuffer());
    return idempotent(c, raw, async () => {
      let patch: TProfilePatch;
      try {
        patch = JSON.parse(raw.toString("utf8")) as TProfilePatch;
      } catch {
        throw new VendorError(400, "invalid_json", "The body is not JSON.");
      }
      const allowed = ["displayName", "signature", "mood", "moodText"];
      const unknown = Object.keys(patch).filter((k) => !allowed.includes(k));
      if (unknown.length > 0) throw new VendorError(400, "unknown_field", `Unknown fields: ${unknown.join(", ")}.`);
      validatePatch(c.var.network, patch);
      return { patch };
    });
  });

  api.put("/avatar", async (c) => {
    const bytes = Buffer.from(await c.req.arrayBuffer());
    return idempotent(c, bytes, async () => ({ avatar: { meta: await inspectAvatar(c.var.network, bytes), bytes } }));
  });

  api.delete("/avatar", (c) => idempotent(c, Buffer.alloc(0), async () => ({ avatar: null })));

  app.route("/:network/api", api);

  // ---- avatars and the web UI ----
  app.get("/:network/avatars/:sha", (c) => {
    const network = c.req.param("network");
    const sha = c.req.param("sha");
    if (!isSandboxNetworkId(network) || !/^[0-9a-f]{64}$/.test(sha)) return c.notFound();
    const owner = Object.values(store.network(network).accounts).find((a) => a.profile.avatar?.sha256 === sha);
    if (!owner?.profile.avatar) return c.notFound();
    c.header("Content-Type", owner.profile.avatar.contentType);
    c.header("Cache-Control", "public, max-age=31536000, immutable");
    return c.body(readFileSync(path.join(store.avatarDir, sha)));
  });

  const cookieName = (network: string) => `sandbox_${network}`;

  app.get("/:network", (c) => {
    const network = c.req.param("network");
    if (!isSandboxNetworkId(network)) return c.notFound();
    const token = getCookie(c, cookieName(network));
    const account = token ? store.accountForToken(network, token) : null;
    if (!account) return c.html(renderSignInPage(network, {}));
    return c.html(renderProfilePage(network, account, { notice: c.req.query("saved") ? "Saved." : undefined }));
  });

  app.post("/:network/signin", async (c) => {
    const network = c.req.param("network");
    if (!isSandboxNetworkId(network)) return c.notFound();
    const form = await c.req.parseBody();
    const login = String(form.login ?? "").trim();
    const token = store.signIn(network, login, String(form.password ?? ""));
    if (!token) return c.html(renderSignInPage(network, { login, error: "Wrong login or password." }), 401);
    setCookie(c, cookieName(network), token, { httpOnly: true, sameSite: "Lax", path: `/${network}` });
    return c.redirect(`/${network}`);
  });

  app.post("/:network/signout", (c) => {
    const network = c.req.param("network");
    deleteCookie(c, cookieName(network), { path: `/${network}` });
    return c.redirect(`/${network}`);
  });

  app.post("/:network/profile", async (c) => {
    const network = c.req.param("network");
    if (!isSandboxNetworkId(network)) return c.notFound();
    const token = getCookie(c, cookieName(network));
    const account = token ? store.accountForToken(network, token) : null;
    if (!account) return c.redirect(`/${network}`);
    const form = await c.req.parseBody();
    const patch: TProfilePatch = {
      displayName: String(form.displayName ?? ""),
      signature: String(form.signature ?? ""),
      mood: form.mood ? String(form.mood) : null,
      moodText: String(form.moodText ?? ""),
    };
    if (SANDBOX_NETWORKS[network].limits.moodTextMax === 0) delete patch.moodText;
    try {
      validatePatch(network, patch);
      const change: TChange = { patch };
      const file = form.avatar;
      if (file instanceof File && file.size > 0) {
        const bytes = Buffer.from(await file.arrayBuffer());
        change.avatar = { meta: await inspectAvatar(network, bytes), bytes };
      } else if (form.removeAvatar === "on") {
        change.avatar = null;
      }
      applyChange(store, network, account, change, "web");
    } catch (error) {
      if (!(error instanceof VendorError)) throw error;
      return c.html(renderProfilePage(network, account, { error: error.message, draft: patch }), 422);
    }
    return c.redirect(`/${network}?saved=1`);
  });

  return app;
}
