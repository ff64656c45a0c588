/**
 * The sandbox third-party server: per emulated network an authenticated HTTP API (with
 * idempotency and fault injection), a small web UI where a person edits the profile inside that
 * network, and admin endpoints for tests and benchmarks.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { HttpBindings } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { isSandboxNetworkId, SANDBOX_NETWORKS, type TSandboxNetworkId } from "./networks";
import { applyChange, inspectAvatar, validatePatch, VendorError, type TChange, type TProfilePatch } from "./profile";
import type { TSandboxQuiet } from "./events";
import { NO_CHAOS, NO_FAULTS, type SandboxStore, type TAccount, type TFaults, type TWebhookChaos } from "./store";
import { renderHome, renderProfilePage, renderSignInPage } from "./ui";

type TEnv = { Bindings: HttpBindings; Variables: { network: TSandboxNetworkId; account: TAccount } };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The caller closed the connection (gave up waiting). */
function isAbandoned(c: Context<TEnv>): boolean {
  // Not `incoming.destroyed`: a request stream is destroyed anyway once its body was read.
  return c.env.incoming.socket?.destroyed ?? false;
}

function vendorError(c: Context, error: VendorError) {
  const field = error.field === undefined ? {} : { field: error.field };
  return c.json({ error: { code: error.code, message: error.message, ...field } }, error.status as 400);
}

/** The image type from its first bytes (PNG, JPEG, GIF, WebP). */
function contentTypeOf(bytes: Buffer): string {
  if (bytes.subarray(0, 4).toString("hex") === "89504e47") return "image/png";
  if (bytes.subarray(0, 3).toString("hex") === "ffd8ff") return "image/jpeg";
  if (bytes.subarray(0, 3).toString("ascii") === "GIF") return "image/gif";
  if (bytes.subarray(8, 12).toString("ascii") === "WEBP") return "image/webp";
  return "application/octet-stream";
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

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];
/** Requests without a body here; a cross-site DELETE needs a preflight anyway. */
const BODILESS_METHODS = ["GET", "HEAD", "DELETE"];

/**
 * Why an admin request is refused, if it is. The admin endpoints reset passwords and inject
 * faults, for tests and tools on this machine, yet any web page can make a browser send a
 * "simple" cross-site POST (text/plain, no preflight) to a loopback port, and a page on a name
 * rebound to 127.0.0.1 reaches it with its own Host. So every admin request must name a loopback
 * host on this server's port, and one that changes state with a body must be JSON, which a page
 * cannot send cross-site without a CORS preflight that this server never grants.
 */
function adminRefusal(c: Context<TEnv>): { status: 403 | 415; code: string; message: string } | null {
  const port = c.env.incoming?.socket?.localPort;
  const host = (c.req.header("host") ?? "").toLowerCase();
  const allowed = LOOPBACK_NAMES.flatMap((name) => (port === 80 ? [name, `${name}:80`] : [`${name}:${port}`]));
  if (port === undefined || !allowed.includes(host)) {
    return {
      status: 403,
      code: "forbidden_host",
      message: `Admin endpoints answer only to a loopback Host (localhost, 127.0.0.1 or [::1]) on port ${port}.`,
    };
  }
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!BODILESS_METHODS.includes(c.req.method) && type !== "application/json") {
    return {
      status: 415,
      code: "unsupported_media_type",
      message: "Admin requests that change state must send Content-Type: application/json.",
    };
  }
  return null;
}

export function createSandboxApp(store: SandboxStore) {
  const app = new Hono<TEnv>();

  // Durable before answering: a response waits until every change made so far (its own, and any
  // it may have read) is on disk. Requests waiting together share one group commit.
  app.use("*", async (_c, next) => {
    await next();
    await store.durable();
  });

  app.get("/", (c) => c.html(renderHome()));
  app.get("/health", (c) => c.json({ status: "ok" }));

  // ---- admin: fault injection, credential revocation, counters (loopback only, for tests) ----
  app.use("/__admin/*", async (c, next) => {
    const refusal = adminRefusal(c);
    if (refusal) return c.json({ error: { code: refusal.code, message: refusal.message } }, refusal.status);
    await next();
  });
  app.put("/__admin/faults/:network", async (c) => {
    const network = c.req.param("network");
    if (!isSandboxNetworkId(network)) return c.json({ error: { code: "unknown_network" } }, 404);
    const body = (await c.req.json()) as Partial<TFaults>;
    store.setFaults(network, { ...NO_FAULTS, ...body });
    return c.json(store.network(network).faults);
  });
  // The network's word filter: profile text containing one of the words is refused (422
  // content_refused) from now on, through the API and the web alike. `{ "words": [] }` clears it.
  app.get("/__admin/:network/word-filter", (c) => {
    const network = c.req.param("network");
    if (!isSandboxNetworkId(network)) return c.json({ error: { code: "unknown_network" } }, 404);
    return c.json({ words: store.wordFilter(network) });
  });
  app.put("/__admin/:network/word-filter", async (c) => {
    const network = c.req.param("network");
    if (!isSandboxNetworkId(network)) return c.json({ error: { code: "unknown_network" } }, 404);
    const body = (await c.req.json().catch(() => null)) as { words?: unknown } | null;
    const words = body?.words;
    if (!Array.isArray(words) || !words.every((word) => typeof word === "string" && word.trim() !== "")) {
      return c.json(
        { error: { code: "invalid_request", message: 'The body must be { "words": [non-empty strings] }.' } },
        400,
      );
    }
    store.setWordFilter(network, words as string[]);
    return c.json({ words: store.wordFilter(network) });
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
  // The account as restored from a backup: the profile and version it had at an earlier version.
  app.post("/__admin/:network/accounts/:login/restore", async (c) => {
    const network = c.req.param("network");
    if (!isSandboxNetworkId(network)) return c.json({ error: { code: "unknown_network" } }, 404);
    const body = (await c.req.json().catch(() => null)) as { version?: unknown } | null;
    const version = body?.version;
    if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
      return c.json(
        { error: { code: "invalid_request", message: 'The body must be { "version": a positive integer }.' } },
        400,
      );
    }
    const restored = store.restoreVersion(network, c.req.param("login"), version);
    if (restored === "unknown_account") return c.json({ error: { code: "unknown_account" } }, 404);
    if (restored === "unknown_version") {
      return c.json(
        { error: { code: "unknown_version", message: `The account's history has no version ${version}.` } },
        422,
      );
    }
    return c.json({ ...publicProfile(c, network, restored), apiWrites: restored.apiWrites });
  });
  app.get("/__admin/:network/accounts/:login/log", (c) => {
    const network = c.req.param("network");
    if (!isSandboxNetworkId(network)) return c.json({ error: { code: "unknown_network" } }, 404);
    const login = c.req.param("login");
    if (!store.network(network).accounts[login]) return c.json({ error: { code: "unknown_account" } }, 404);
    return c.json({ entries: store.logOf(network, login) });
  });
  app.get("/__admin/quiet", (c) => {
    const outbox = store.outbox.length;
    const { apiInFlight, webhooksInFlight, dropped } = store.busy;
    const answer: TSandboxQuiet = {
      isQuiet: outbox === 0 && apiInFlight === 0 && webhooksInFlight === 0,
      outbox,
      apiInFlight,
      webhooksInFlight,
      dropped,
    };
    return c.json(answer);
  });
  app.get("/__admin/webhooks", (c) => c.json(store.webhookChaos));
  app.put("/__admin/webhooks", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Partial<TWebhookChaos>;
    const rate = Number(body.duplicateRate ?? 0);
    const delay = Number(body.maxDelayMs ?? 0);
    if (!(rate >= 0 && rate <= 1) || !(delay >= 0 && delay <= 600_000)) {
      return c.json({ error: { code: "invalid_request", message: "duplicateRate 0..1, maxDelayMs 0..600000." } }, 400);
    }
    store.webhookChaos = { ...NO_CHAOS, duplicateRate: rate, maxDelayMs: delay, isPaused: body.isPaused === true };
    return c.json(store.webhookChaos);
  });
  // A person's change made inside the network (as its web page does), for tests.
  app.post("/__admin/:network/accounts/:login/web-change", async (c) => {
    const network = c.req.param("network");
    if (!isSandboxNetworkId(network)) return c.json({ error: { code: "unknown_network" } }, 404);
    const account = store.network(network).accounts[c.req.param("login")];
    if (!account) return c.json({ error: { code: "unknown_account" } }, 404);
    const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null;
    if (!body) return c.json({ error: { code: "invalid_json", message: "The body is not JSON." } }, 400);
    const patch: TProfilePatch = {};
    for (const field of ["displayName", "signature", "mood", "moodText"] as const) {
      if (body[field] !== undefined) (patch as Record<string, unknown>)[field] = body[field];
    }
    try {
      validatePatch(network, patch, { refusedWords: store.wordFilter(network), current: account.profile });
      const change: TChange = { patch };
      if (typeof body.avatarBase64 === "string") {
        const bytes = Buffer.from(body.avatarBase64, "base64");
        change.avatar = { meta: await inspectAvatar(network, bytes), bytes };
      } else if (body.removeAvatar === true) {
        change.avatar = null;
      }
      applyChange(store, network, account, change, "web");
    } catch (error) {
      if (error instanceof VendorError) return vendorError(c, error);
      throw error;
    }
    return c.json(publicProfile(c, network, account));
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
    store.busy.apiInFlight++;
    try {
      await faultsAndNext(c, next);
    } finally {
      store.busy.apiInFlight--;
    }
  });

  async function faultsAndNext(c: Context<TEnv>, next: () => Promise<void>) {
    const network = c.req.param("network") ?? "";
    if (!isSandboxNetworkId(network)) {
      c.res = c.json({ error: { code: "unknown_network", message: "No such network." } }, 404);
      return;
    }
    c.set("network", network);
    const faults = store.network(network).faults;
    if (faults.isDown) {
      c.env.incoming.socket.destroy();
      c.res = c.body(null);
      return;
    }
    if (faults.isTimingOut) {
      // Hold the request until the caller gives up (bounded, so the process never piles up).
      await Promise.race([new Promise((resolve) => c.env.incoming.socket.once("close", resolve)), sleep(10 * 60_000)]);
      c.env.incoming.socket.destroy();
      c.res = c.body(null);
      return;
    }
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (isAbandoned(c)) {
      c.res = c.body(null);
      return;
    }
    if (faults.rateLimitRetryAfterSeconds !== null) {
      c.header("Retry-After", String(faults.rateLimitRetryAfterSeconds));
      c.res = c.json({ error: { code: "rate_limited", message: "Too many requests." } }, 429);
      return;
    }
    if (faults.errorRate > 0 && Math.random() < faults.errorRate) {
      c.res = c.json({ error: { code: "server_error", message: "Internal error." } }, faults.errorStatus);
      return;
    }
    await next();
  }

  api.post("/session", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { login?: unknown; password?: unknown };
    if (typeof body.login !== "string" || typeof body.password !== "string") {
      return c.json({ error: { code: "invalid_request", message: "login and password are required." } }, 400);
    }
    const token = await store.signIn(c.var.network, body.login, body.password);
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
    if (scoped && previous) {
      if (previous.fingerprint !== fingerprint) {
        return c.json(
          { error: { code: "idempotency_key_reused", message: "This key was used for another request." } },
          422,
        );
      }
      store.putIdempotency(c.var.network, scoped, { ...previous, replays: previous.replays + 1 });
      c.header("Idempotent-Replayed", "true");
      return c.json(previous.body as object, previous.status as 200);
    }
    try {
      const change = await write();
      // The sandbox honours request cancellation: a write whose caller already gave up (timed
      // out) is not applied, so it can never land after a newer one the caller sent since.
      if (isAbandoned(c)) return c.body(null);
      applyChange(store, c.var.network, c.var.account, change, "api", key ?? null);
      const answer = publicProfile(c, c.var.network, c.var.account);
      if (scoped) {
        store.putIdempotency(c.var.network, scoped, {
          fingerprint,
          status: 200,
          body: answer,
          applications: 1,
          replays: 0,
        });
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
      validatePatch(c.var.network, patch, {
        refusedWords: store.wordFilter(c.var.network),
        current: c.var.account.profile,
      });
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
    // Any avatar the vendor stored stays fetchable, so a slightly late event's URL still works.
    const file = path.join(store.avatarDir, sha);
    if (!existsSync(file)) return c.notFound();
    const bytes = readFileSync(file);
    c.header("Content-Type", contentTypeOf(bytes));
    c.header("Cache-Control", "public, max-age=31536000, immutable");
    return c.body(bytes);
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
    const token = await store.signIn(network, login, String(form.password ?? ""));
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
      validatePatch(network, patch, { refusedWords: store.wordFilter(network), current: account.profile });
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
