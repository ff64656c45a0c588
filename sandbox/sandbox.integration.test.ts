/** The sandbox vendor as a real process: its API against its own limits, idempotency, faults, webhooks, persistence. */
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { checkSignature } from "../server/connectors/sandbox/webhook-signature";
import { setupTestSandbox, startTestSandbox } from "../test/sandbox";
import type { TSandboxWebhookEvent } from "./events";
import { SANDBOX_NETWORKS, type TSandboxNetworkId } from "./networks";

// A stand-in for OneProfile's webhook endpoint that records what arrives.
const received: Array<{ path: string; headers: http.IncomingHttpHeaders; body: string }> = [];
const receiver = http.createServer((req, res) => {
  let body = "";
  req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
  req.on("end", () => {
    received.push({ path: req.url ?? "", headers: req.headers, body });
    res.writeHead(202).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
const SECRET = "test-webhook-secret-0123456789";
const sandbox = await setupTestSandbox({
  webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
  webhookSecret: SECRET,
});

afterEach(() => sandbox.clearFaults());

async function session(network: TSandboxNetworkId, login?: string, password?: string) {
  const demo = SANDBOX_NETWORKS[network].demo;
  const response = await fetch(`${sandbox.url}/${network}/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login: login ?? demo.login, password: password ?? demo.password }),
  });
  return { status: response.status, token: ((await response.json()) as { token?: string }).token };
}

async function patch(network: TSandboxNetworkId, token: string, body: object, key?: string) {
  const response = await fetch(`${sandbox.url}/${network}/api/profile`, {
    method: "PATCH",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${token}`,
      ...(key ? { "idempotency-key": key } : {}),
    },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown> & {
      error?: { code: string; message?: string; field?: string };
    },
  };
}

async function putAvatar(network: TSandboxNetworkId, token: string, bytes: Buffer, contentType: string) {
  const response = await fetch(`${sandbox.url}/${network}/api/avatar`, {
    method: "PUT",
    headers: { "content-type": contentType, authorization: `Bearer ${token}`, "idempotency-key": randomUUID() },
    body: new Uint8Array(bytes),
  });
  return { status: response.status, body: (await response.json()) as { error?: { code: string }; avatar?: unknown } };
}

const image = (size: number, format: "png" | "jpeg", noise = false) =>
  (noise
    ? sharp(Buffer.from(Array.from({ length: size * size * 3 }, () => Math.floor(Math.random() * 256))), {
        raw: { width: size, height: size, channels: 3 },
      })
    : sharp({ create: { width: size, height: size, channels: 3, background: "#3366cc" } })
  )
    .toFormat(format, format === "png" ? { compressionLevel: 0 } : { quality: 100 })
    .toBuffer();

describe("sessions", () => {
  it("accepts the demo password and refuses a wrong one with 401", async () => {
    expect((await session("qq")).status).toBe(200);
    expect((await session("qq", "10001", "wrong")).status).toBe(401);
    expect((await session("msn", "nobody@msn.example", "x")).status).toBe(401);
  });

  it("refuses API calls without a valid token", async () => {
    const response = await fetch(`${sandbox.url}/qq/api/profile`, { headers: { authorization: "Bearer nope" } });
    expect(response.status).toBe(401);
  });
});

describe("each network enforces its own limits", () => {
  it("counts text in graphemes: 40 family emoji fit QQ's 40, 41 characters do not", async () => {
    const { token } = await session("qq");
    const family = "👨‍👩‍👧‍👦".repeat(40);
    expect((await patch("qq", token!, { signature: family })).status).toBe(200);
    const tooLong = await patch("qq", token!, { signature: "x".repeat(41) });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error?.code).toBe("signature_too_long");
  });

  it("keeps different limits per network", async () => {
    const msn = (await session("msn")).token!;
    expect((await patch("msn", msn, { signature: "y".repeat(128) })).status).toBe(200);
    expect((await patch("msn", msn, { signature: "y".repeat(129) })).status).toBe(422);
    const fetion = (await session("fetion")).token!;
    expect((await patch("fetion", fetion, { displayName: "名".repeat(17) })).status).toBe(422);
  });

  it("accepts only its own mood vocabulary", async () => {
    const qq = (await session("qq")).token!;
    expect((await patch("qq", qq, { mood: "😀" })).status).toBe(200);
    expect((await patch("qq", qq, { mood: "happy" })).body.error?.code).toBe("mood_unknown");
    const msn = (await session("msn")).token!;
    expect((await patch("msn", msn, { mood: "happy" })).status).toBe(200);
    expect((await patch("msn", msn, { mood: null })).status).toBe(200);
  });

  it("checks avatar format, pixel size and bytes", async () => {
    const msn = (await session("msn")).token!;
    expect((await putAvatar("msn", msn, await image(96, "png"), "image/png")).status).toBe(200);
    expect((await putAvatar("msn", msn, await image(100, "png"), "image/png")).body.error?.code).toBe(
      "avatar_dimensions",
    );
    const fetion = (await session("fetion")).token!;
    const png = await putAvatar("fetion", fetion, await image(100, "png"), "image/png");
    expect([png.status, png.body.error?.code]).toEqual([415, "avatar_format"]);
    const qq = (await session("qq")).token!;
    const huge = await image(640, "png", true);
    expect(huge.length).toBeGreaterThan(SANDBOX_NETWORKS.qq.limits.avatar.maxBytes);
    const tooBig = await putAvatar("qq", qq, huge, "image/png");
    expect([tooBig.status, tooBig.body.error?.code]).toEqual([413, "avatar_too_large"]);
    const garbage = await putAvatar("qq", qq, Buffer.from("not an image"), "image/png");
    expect(garbage.status).toBe(415);
  });
});

describe("idempotency", () => {
  it("applies a repeated key once and answers the same", async () => {
    const login = `2${Date.now().toString().slice(-8)}`;
    await sandbox.createAccount("qq", login, "pw-123456");
    const { token } = await session("qq", login, "pw-123456");
    const key = randomUUID();
    const first = await patch("qq", token!, { signature: "once" }, key);
    const second = await patch("qq", token!, { signature: "once" }, key);
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const counters = await (await fetch(`${sandbox.url}/__admin/qq/idempotency/${key}`)).json();
    expect(counters).toEqual({ applications: 1, replays: 1 });
    expect((await sandbox.account("qq", login)).apiWrites).toBe(1);

    const reused = await patch("qq", token!, { signature: "something else" }, key);
    expect([reused.status, reused.body.error?.code]).toEqual([422, "idempotency_key_reused"]);
    expect((await sandbox.account("qq", login)).signature).toBe("once");
  });

  it("marks an answer replayed from the stored record with Idempotent-Replayed: true", async () => {
    const login = `3${Date.now().toString().slice(-8)}`;
    await sandbox.createAccount("qq", login, "pw-123456");
    const { token } = await session("qq", login, "pw-123456");
    const key = randomUUID();
    const first = await patch("qq", token!, { signature: "replayed" }, key);
    const second = await patch("qq", token!, { signature: "replayed" }, key);
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(second.status).toBe(200);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
    const unkeyed = await patch("qq", token!, { signature: "no key" });
    expect(unkeyed.headers.get("idempotent-replayed")).toBeNull();
  });
});

describe("fault injection", () => {
  it("answers 503 at an error rate of 1", async () => {
    await sandbox.setFaults("msn", { errorRate: 1, errorStatus: 503 });
    expect((await session("msn")).status).toBe(503);
    expect((await session("qq")).status).toBe(200);
  });

  it("answers 429 with Retry-After", async () => {
    await sandbox.setFaults("qq", { rateLimitRetryAfterSeconds: 7 });
    const response = await fetch(`${sandbox.url}/qq/api/session`, { method: "POST", body: "{}" });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
  });

  it("adds latency", async () => {
    await sandbox.setFaults("qq", { latencyMs: 300 });
    const started = performance.now();
    await session("qq");
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("never answers when timing out, and drops connections when down", async () => {
    await sandbox.setFaults("fetion", { isTimingOut: true });
    await expect(
      fetch(`${sandbox.url}/fetion/api/session`, { method: "POST", body: "{}", signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow(/timeout|aborted/i);
    await sandbox.setFaults("fetion", { isDown: true });
    await expect(fetch(`${sandbox.url}/fetion/api/session`, { method: "POST", body: "{}" })).rejects.toThrow(
      /fetch failed/,
    );
  });

  it("revokes credentials: the old password and the old sessions stop working", async () => {
    const login = `revoked${Date.now()}@msn.example`;
    await sandbox.createAccount("msn", login, "old-password");
    const { token } = await session("msn", login, "old-password");
    await sandbox.setPassword("msn", login, "new-password");
    expect((await session("msn", login, "old-password")).status).toBe(401);
    expect((await patch("msn", token!, { signature: "x" })).status).toBe(401);
    expect((await session("msn", login, "new-password")).status).toBe(200);
  });
});

describe("webhooks", () => {
  beforeAll(() => {
    received.length = 0;
  });

  it("pushes every change, signed over timestamp and body", async () => {
    const { token } = await session("facebook");
    const signature = `webhook ${randomUUID()}`;
    await patch("facebook", token!, { signature });
    await expect.poll(() => received.find((r) => r.body.includes(signature)), { timeout: 10_000 }).toBeTruthy();
    const hook = received.find((r) => r.body.includes(signature))!;
    expect(hook.path).toBe("/hooks/facebook");
    const event = JSON.parse(hook.body) as {
      type: string;
      login: string;
      changed: string[];
      profile: { signature: string };
    };
    expect(event).toMatchObject({ type: "profile.updated", login: "demo@facebook.example", changed: ["signature"] });
    expect(event.profile.signature).toBe(signature);
    const verdict = checkSignature({
      secret: SECRET,
      timestamp: String(hook.headers["x-sandbox-timestamp"]),
      signature: String(hook.headers["x-sandbox-signature"]),
      body: hook.body,
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    expect(verdict).toBe("valid");
  });
});

describe("persistence", () => {
  it("keeps accounts and profiles across a restart", async () => {
    const first = await startTestSandbox();
    const demo = SANDBOX_NETWORKS.qq.demo;
    const login = await fetch(`${first.url}/qq/api/session`, {
      method: "POST",
      body: JSON.stringify({ login: demo.login, password: demo.password }),
    });
    const { token } = (await login.json()) as { token: string };
    await fetch(`${first.url}/qq/api/profile`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ signature: "survives restarts" }),
    });
    await first.stop();
    const second = await startTestSandbox({ dataDir: first.dataDir });
    expect((await second.account("qq", demo.login)).signature).toBe("survives restarts");
    await second.stop();
  });
});

describe("what tests and OneProfile read from the vendor", () => {
  const eventsFor = (login: string) =>
    received.map((entry) => JSON.parse(entry.body) as TSandboxWebhookEvent).filter((event) => event.login === login);

  it("events carry the write's idempotency key (null for web changes) and a fetchable avatar URL", async () => {
    const login = String(70_000 + Math.floor(Math.random() * 9_000_000));
    await sandbox.createAccount("qq", login, "pw-events");
    const { token } = await session("qq", login, "pw-events");
    await patch("qq", token!, { signature: "from the API" }, "key-events-1");
    const image = await sharp({ create: { width: 100, height: 100, channels: 3, background: "#36c" } })
      .png()
      .toBuffer();
    await sandbox.webChange("qq", login, { displayName: "From the web", avatar: image });
    await expect.poll(() => eventsFor(login).length, { timeout: 10_000 }).toBe(2);
    const [api, web] = eventsFor(login).sort((a, b) => a.version - b.version);
    expect(api).toMatchObject({ origin: "api", idempotencyKey: "key-events-1", changed: ["signature"] });
    expect(web).toMatchObject({ origin: "web", idempotencyKey: null, changed: ["displayName", "avatar"] });
    const downloaded = await fetch(web!.profile.avatar!.url);
    expect(downloaded.status).toBe(200);
    expect(Buffer.from(await downloaded.arrayBuffer()).equals(image)).toBe(true);

    const { entries } = await sandbox.log("qq", login);
    expect(
      entries.map(({ field, value, origin, idempotencyKey, version }) => ({
        field,
        value,
        origin,
        idempotencyKey,
        version,
      })),
    ).toEqual([
      { field: "signature", value: "from the API", origin: "api", idempotencyKey: "key-events-1", version: 2 },
      { field: "displayName", value: "From the web", origin: "web", idempotencyKey: null, version: 3 },
      { field: "avatar", value: web!.profile.avatar!.sha256, origin: "web", idempotencyKey: null, version: 3 },
    ]);
  });

  it("refuses a web change the network's rules refuse, changing nothing", async () => {
    const login = String(70_000 + Math.floor(Math.random() * 9_000_000));
    await sandbox.createAccount("qq", login, "pw-refuse");
    const response = await fetch(`${sandbox.url}/__admin/qq/accounts/${login}/web-change`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ mood: "not-a-qq-mood" }),
    });
    expect(response.status).toBe(422);
    expect((await sandbox.log("qq", login)).entries).toEqual([]);
  });

  it("is not quiet while webhooks are held, and quiet once they are delivered", async () => {
    await sandbox.setWebhooks({ isPaused: true });
    const login = String(70_000 + Math.floor(Math.random() * 9_000_000));
    await sandbox.createAccount("qq", login, "pw-quiet");
    await sandbox.webChange("qq", login, { signature: "held" });
    expect(await sandbox.quiet()).toMatchObject({ isQuiet: false, outbox: 1 });
    await sandbox.setWebhooks({});
    await expect.poll(async () => (await sandbox.quiet()).isQuiet, { timeout: 10_000 }).toBe(true);
    expect(eventsFor(login)).toHaveLength(1);
  });

  it("sends duplicates (same id) when asked to", async () => {
    await sandbox.setWebhooks({ duplicateRate: 1 });
    const login = String(70_000 + Math.floor(Math.random() * 9_000_000));
    await sandbox.createAccount("qq", login, "pw-dup");
    await sandbox.webChange("qq", login, { signature: "twice" });
    await expect.poll(() => eventsFor(login).length, { timeout: 10_000 }).toBe(2);
    expect(new Set(eventsFor(login).map((event) => event.id)).size).toBe(1);
    await sandbox.setWebhooks({});
  });

  it("does not apply a write whose caller gave up waiting", async () => {
    const login = String(70_000 + Math.floor(Math.random() * 9_000_000));
    await sandbox.createAccount("qq", login, "pw-abandon");
    const { token } = await session("qq", login, "pw-abandon");
    await sandbox.setFaults("qq", { latencyMs: 600 });
    await expect(
      fetch(`${sandbox.url}/qq/api/profile`, {
        method: "PATCH",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "idempotency-key": "gave-up" },
        body: JSON.stringify({ signature: "too late" }),
        signal: AbortSignal.timeout(100),
      }),
    ).rejects.toThrow();
    await expect.poll(async () => (await sandbox.quiet()).apiInFlight, { timeout: 5_000 }).toBe(0);
    expect((await sandbox.account("qq", login)).signature).toBe("");
    expect((await sandbox.log("qq", login)).entries).toEqual([]);
  });
});

describe("admin endpoints", () => {
  /** A request as a browser or a rebound name would send it (fetch cannot set Host). */
  function raw(method: string, route: string, headers: Record<string, string>, body?: string) {
    const { hostname, port } = new URL(sandbox.url);
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request({ hostname, port, method, path: route, headers }, (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
      });
      request.on("error", reject);
      request.end(body);
    });
  }
  const port = () => new URL(sandbox.url).port;

  async function demoAccount() {
    const login = String(70_000 + Math.floor(Math.random() * 9_000_000));
    await sandbox.createAccount("qq", login, "pw-admin");
    return login;
  }

  it("refuse a cross-site form post (text/plain, or no type) that would reset a password", async () => {
    const login = await demoAccount();
    const types: Array<Record<string, string>> = [
      { "content-type": "text/plain" },
      { "content-type": "application/x-www-form-urlencoded" },
      {},
    ];
    for (const headers of types) {
      const answer = await raw(
        "POST",
        `/__admin/qq/accounts/${login}/password`,
        { host: `127.0.0.1:${port()}`, ...headers },
        JSON.stringify({ password: "stolen" }),
      );
      expect({ headers, status: answer.status }).toEqual({ headers, status: 415 });
      expect(answer.body).toContain("Content-Type: application/json");
    }
    expect((await session("qq", login, "pw-admin")).status).toBe(200);
    expect((await session("qq", login, "stolen")).status).toBe(401);
  });

  it("refuse a Host that is not loopback on this port (a rebound name), for reads too", async () => {
    const login = await demoAccount();
    for (const host of ["evil.example", `evil.example:${port()}`, "127.0.0.1:1", `127.0.0.1.evil.example:${port()}`]) {
      const reset = await raw(
        "POST",
        `/__admin/qq/accounts/${login}/password`,
        { host, "content-type": "application/json" },
        JSON.stringify({ password: "stolen" }),
      );
      expect({ host, status: reset.status }).toEqual({ host, status: 403 });
      expect(reset.body).toContain("loopback Host");
      const read = await raw("GET", `/__admin/qq/accounts/${login}`, { host });
      expect({ host, status: read.status }).toEqual({ host, status: 403 });
    }
    expect((await session("qq", login, "pw-admin")).status).toBe(200);
  });

  it("accept JSON from a loopback name on this port", async () => {
    const login = await demoAccount();
    for (const [host, password] of [
      [`localhost:${port()}`, "pw-localhost"],
      [`127.0.0.1:${port()}`, "pw-ipv4"],
      [`[::1]:${port()}`, "pw-ipv6"],
    ] as const) {
      const answer = await raw(
        "POST",
        `/__admin/qq/accounts/${login}/password`,
        { host, "content-type": "application/json; charset=utf-8" },
        JSON.stringify({ password }),
      );
      expect({ host, status: answer.status }).toEqual({ host, status: 204 });
      expect((await session("qq", login, password)).status).toBe(200);
    }
  });
});

describe("word filter", () => {
  const refusal = (field: string, network = "QQ") => ({
    code: "content_refused",
    message: `${field} contains a word ${network} does not allow.`,
    field,
  });

  async function webChangeRaw(network: TSandboxNetworkId, login: string, body: object) {
    const response = await fetch(`${sandbox.url}/__admin/${network}/accounts/${login}/web-change`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { error?: Record<string, unknown> } };
  }

  it("refuses API and web changes containing a filtered word (any case) with 422, changing nothing", async () => {
    const login = String(70_000 + Math.floor(Math.random() * 9_000_000));
    await sandbox.createAccount("qq", login, "pw-filter");
    const { token } = await session("qq", login, "pw-filter");
    await sandbox.setWordFilter("qq", ["Spam", "广告"]);
    try {
      const before = await sandbox.account("qq", login);

      const api = await patch("qq", token!, { signature: "buy SPAM now" }, randomUUID());
      expect(api.status).toBe(422);
      expect(api.body.error).toEqual(refusal("signature"));
      const web = await webChangeRaw("qq", login, { displayName: "小广告" });
      expect(web.status).toBe(422);
      expect(web.body.error).toEqual(refusal("displayName"));
      const mood = await webChangeRaw("qq", login, { moodText: "spammy", signature: "fine" });
      expect(mood.status).toBe(422);
      expect(mood.body.error).toEqual(refusal("moodText"));

      // The network's own web page refuses it too (its form, with its session cookie).
      const signIn = await fetch(`${sandbox.url}/qq/signin`, {
        method: "POST",
        body: new URLSearchParams({ login, password: "pw-filter" }),
        redirect: "manual",
      });
      const cookie = signIn.headers.get("set-cookie")!.split(";")[0]!;
      const form = await fetch(`${sandbox.url}/qq/profile`, {
        method: "POST",
        headers: { cookie },
        body: new URLSearchParams({ displayName: login, signature: "spam from the page", moodText: "" }),
        redirect: "manual",
      });
      expect(form.status).toBe(422);
      expect(await form.text()).toContain("signature contains a word QQ does not allow.");

      const after = await sandbox.account("qq", login);
      expect(after).toMatchObject({ version: before.version, signature: "", displayName: login, moodText: "" });
      expect((await sandbox.log("qq", login)).entries).toEqual([]);
      await expect.poll(async () => (await sandbox.quiet()).isQuiet, { timeout: 10_000 }).toBe(true);
      expect(received.filter((entry) => entry.body.includes(`"login":"${login}"`))).toEqual([]);
    } finally {
      await sandbox.setWordFilter("qq", []);
    }
    // Cleared by an empty list: the same change now goes through.
    const cleared = await patch("qq", token!, { signature: "buy SPAM now" });
    expect(cleared.status).toBe(200);
    expect((await sandbox.account("qq", login)).signature).toBe("buy SPAM now");
  });

  it("refuses a bad body with 400 and an unknown network with 404", async () => {
    const put = (network: string, body: unknown) =>
      fetch(`${sandbox.url}/__admin/${network}/word-filter`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await put("qq", { words: "spam" })).status).toBe(400);
    expect((await put("qq", { words: [1] })).status).toBe(400);
    expect((await put("qq", { words: [""] })).status).toBe(400);
    expect((await put("qq", {})).status).toBe(400);
    expect((await put("icq", { words: [] })).status).toBe(404);
    const answer = await put("qq", { words: [] });
    expect([answer.status, await answer.json()]).toEqual([200, { words: [] }]);
  });

  it("survives a restart", async () => {
    const first = await startTestSandbox();
    try {
      await first.setWordFilter("msn", ["forbidden"]);
      await first.stop();
      const second = await startTestSandbox({ dataDir: first.dataDir });
      try {
        const demo = SANDBOX_NETWORKS.msn.demo;
        const signIn = await fetch(`${second.url}/msn/api/session`, {
          method: "POST",
          body: JSON.stringify({ login: demo.login, password: demo.password }),
        });
        const { token } = (await signIn.json()) as { token: string };
        const response = await fetch(`${second.url}/msn/api/profile`, {
          method: "PATCH",
          headers: { authorization: `Bearer ${token}` },
          body: JSON.stringify({ signature: "Forbidden fruit" }),
        });
        expect(response.status).toBe(422);
        expect(((await response.json()) as { error: unknown }).error).toEqual(refusal("signature", "MSN"));
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});

describe("restoring an account to an earlier version", () => {
  const eventsFor = (login: string) =>
    received.map((entry) => JSON.parse(entry.body) as TSandboxWebhookEvent).filter((event) => event.login === login);

  it("sets profile and version back, without a webhook or log entry; later changes continue from it", async () => {
    const login = String(70_000 + Math.floor(Math.random() * 9_000_000));
    await sandbox.createAccount("qq", login, "pw-restore");
    await sandbox.webChange("qq", login, { signature: "second", mood: "😀" });
    const third = await sandbox.webChange("qq", login, { displayName: "Third" });
    expect(third.version).toBe(3);
    await expect.poll(() => eventsFor(login).length, { timeout: 10_000 }).toBe(2);

    const restored = await sandbox.restore("qq", login, 2);
    expect(restored).toMatchObject({ login, version: 2, displayName: login, signature: "second", mood: "😀" });
    expect(await sandbox.account("qq", login)).toEqual(restored);
    const back = await sandbox.restore("qq", login, 1);
    expect(back).toMatchObject({ version: 1, displayName: login, signature: "", mood: null, moodText: "" });
    await expect.poll(async () => (await sandbox.quiet()).isQuiet, { timeout: 10_000 }).toBe(true);
    expect(eventsFor(login)).toHaveLength(2);
    expect((await sandbox.log("qq", login)).entries.map((entry) => entry.version)).toEqual([2, 2, 3]);

    const after = await sandbox.webChange("qq", login, { signature: "after the restore" });
    expect(after).toMatchObject({ version: 2, signature: "after the restore", displayName: login });
    await expect.poll(() => eventsFor(login).length, { timeout: 10_000 }).toBe(3);
    expect(eventsFor(login).at(-1)).toMatchObject({ version: 2, changed: ["signature"] });
    expect((await sandbox.log("qq", login)).entries.at(-1)).toMatchObject({
      field: "signature",
      value: "after the restore",
      version: 2,
    });
    // The history now holds the new version 2.
    expect(await sandbox.restore("qq", login, 2)).toMatchObject({ version: 2, signature: "after the restore" });
  });

  it("answers 422 unknown_version for a version not in the history, 404 for an unknown account", async () => {
    const login = String(70_000 + Math.floor(Math.random() * 9_000_000));
    await sandbox.createAccount("qq", login, "pw-restore");
    const restore = (who: string, body: unknown) =>
      fetch(`${sandbox.url}/__admin/qq/accounts/${who}/restore`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const unknown = await restore(login, { version: 5 });
    expect(unknown.status).toBe(422);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("unknown_version");
    expect((await restore("99999999", { version: 1 })).status).toBe(404);
    expect((await restore(login, { version: "1" })).status).toBe(400);
    expect((await sandbox.account("qq", login)).version).toBe(1);
  });
});
