/**
 * The sandbox's persistence on real files: group-committed log, snapshots, torn last lines, and
 * a real sandbox process killed with SIGKILL right after answering.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { HttpBindings } from "@hono/node-server";
import { createSandboxApp } from "./app";
import { Journal } from "./journal";
import { SANDBOX_NETWORK_IDS, SANDBOX_NETWORKS, type TSandboxNetworkId } from "./networks";
import { startSandboxProcess } from "./process";
import { applyChange } from "./profile";
import { SandboxStore, type TStoreRecord } from "./store";

const directories: string[] = [];
afterAll(() => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});
function temporaryDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "oneprofile-sandbox-store-"));
  directories.push(dir);
  return dir;
}

/** Everything a restart must keep, as plain JSON. */
function dump(store: SandboxStore) {
  const networks = SANDBOX_NETWORK_IDS.map((id) => {
    const state = store.network(id);
    const logs = Object.keys(state.accounts).map((login) => store.logOf(id, login));
    return { id, state, logs };
  });
  return JSON.parse(JSON.stringify({ networks, outbox: store.outbox })) as unknown;
}

/** A mix of every kind of change: accounts, sessions, API and web writes, idempotency, faults, outbox. */
function writeSome(store: SandboxStore, round: number): void {
  const network: TSandboxNetworkId = SANDBOX_NETWORK_IDS[round % SANDBOX_NETWORK_IDS.length]!;
  const login = `${network}-user-${round % 7}`;
  const account =
    store.network(network).accounts[login] ?? store.createAccount(network, login, "pw-store", `User ${round}`);
  const key = `key-${round}`;
  applyChange(store, network, account, { patch: { signature: `round ${round}` } }, "api", key);
  store.putIdempotency(network, `${login}|${key}`, {
    fingerprint: `fp-${round}`,
    status: 200,
    body: { signature: `round ${round}` },
    applications: 1,
    replays: 0,
  });
  if (round % 3 === 0) applyChange(store, network, account, { patch: { displayName: `Web ${round}` } }, "web");
  if (round % 5 === 0) store.removeWebhook(store.outbox[0]!);
  if (round % 11 === 0) store.setFaults(network, { ...store.network(network).faults, latencyMs: round });
  if (round % 13 === 0) {
    const event = store.outbox.at(-1)!;
    event.attempts++;
    store.webhookChanged(event);
  }
  if (round % 17 === 0) store.setPassword(network, login, `pw-${round}`);
  if (round % 19 === 0) store.setWordFilter(network, round % 38 === 0 ? [] : [`word-${round}`]);
  if (round % 23 === 0) store.restoreVersion(network, login, Math.max(1, account.version - 1));
}

function logFile(dir: string): string {
  const name = readdirSync(dir).find((file) => /^log-\d+\.jsonl$/.test(file));
  if (!name) throw new Error("no log file");
  return path.join(dir, name);
}

/** The records on disk (snapshot aside) that the journal would replay. */
function loggedRecords(dir: string): TStoreRecord[] {
  return Journal.read<TStoreRecord>(dir).groups.flat();
}

describe("the journal", () => {
  it("has a change on disk when durable() resolves, not before", async () => {
    const dir = temporaryDir();
    const store = new SandboxStore(dir);
    await store.durable();
    const account = store.createAccount("qq", "20001", "pw", "Before");
    applyChange(store, "qq", account, { patch: { signature: "on disk" } }, "api", "k1");
    const isLogged = () =>
      loggedRecords(dir).some((record) => record.type === "account" && record.account.profile.signature === "on disk");
    expect(isLogged()).toBe(false);
    await store.durable();
    expect(isLogged()).toBe(true);
    await store.close();
  });

  it("loses nothing across restarts after many writes", async () => {
    const dir = temporaryDir();
    let store = new SandboxStore(dir);
    for (let round = 0; round < 400; round++) {
      writeSome(store, round);
      // Vary the grouping: some rounds share a group, some wait for their own.
      if (round % 4 === 0) await store.durable();
    }
    await store.durable();
    const before = dump(store);
    await store.close();
    store = new SandboxStore(dir);
    expect(dump(store)).toEqual(before);
    // And once more after the start-up compaction, from the snapshot alone.
    await store.close();
    store = new SandboxStore(dir);
    expect(dump(store)).toEqual(before);
    expect(store.logOf("qq", "qq-user-0").length).toBeGreaterThan(0);
    await store.close();
  });

  it("ignores a torn last line and keeps the state before it", async () => {
    const dir = temporaryDir();
    let store = new SandboxStore(dir);
    for (let round = 0; round < 30; round++) writeSome(store, round);
    await store.durable();
    const intact = dump(store);
    writeSome(store, 30);
    await store.durable();
    expect(dump(store)).not.toEqual(intact);
    await store.close();

    // A crash mid-append leaves the last group's line half written.
    const file = logFile(dir);
    const text = readFileSync(file, "utf8");
    const lastLineStart = text.lastIndexOf("\n", text.length - 2) + 1;
    writeFileSync(file, text.slice(0, lastLineStart + Math.floor((text.length - lastLineStart) / 2)));

    store = new SandboxStore(dir);
    expect(dump(store)).toEqual(intact);
    // The torn tail is gone for good: later writes and restarts go on normally.
    writeSome(store, 31);
    await store.durable();
    const after = dump(store);
    await store.close();
    store = new SandboxStore(dir);
    expect(dump(store)).toEqual(after);
    await store.close();
  });

  it("refuses to load a log that is corrupt before its last line", async () => {
    const dir = temporaryDir();
    const store = new SandboxStore(dir);
    await store.durable();
    for (let round = 0; round < 3; round++) {
      writeSome(store, round);
      await store.durable();
    }
    await store.close();
    const file = logFile(dir);
    const lines = readFileSync(file, "utf8").split("\n");
    lines[1] = lines[1]!.slice(0, 20);
    writeFileSync(file, lines.join("\n"));
    expect(() => new SandboxStore(dir)).toThrow(/line 2 of 3 is corrupt/);
  });

  it("compacts into a snapshot with the same state and a short log", async () => {
    const dir = temporaryDir();
    const compactAfterRecords = 100;
    let store = new SandboxStore(dir, { compactAfterRecords });
    await store.durable();
    const account = store.createAccount("msn", "compact@msn.example", "pw", "Compact");
    for (let round = 0; round < 1_000; round++) {
      applyChange(store, "msn", account, { patch: { signature: `round ${round}` } }, "api", `key-${round}`);
      store.removeWebhook(store.outbox[0]!);
      await store.durable();
    }
    // Each round logs 3 records (the account, its apply-log entry, and the outbox entry, queued
    // and removed in one group): the log has been replaced by snapshots again and again, and
    // never holds much more than the threshold.
    const generation = Number(path.basename(logFile(dir)).match(/\d+/)![0]);
    expect(generation).toBeGreaterThan(1_000 / (compactAfterRecords / 3) - 5);
    expect(loggedRecords(dir).length).toBeLessThan(compactAfterRecords + 3);
    const before = dump(store);
    await store.close();
    const logBytes = statSync(logFile(dir)).size;

    store = new SandboxStore(dir, { compactAfterRecords });
    expect(dump(store)).toEqual(before);
    expect(store.logOf("msn", "compact@msn.example")).toHaveLength(1_000);
    // The start-up compaction leaves an empty log.
    await store.durable();
    expect(statSync(logFile(dir)).size).toBeLessThan(Math.max(1, logBytes));
    expect(statSync(logFile(dir)).size).toBe(0);
    // The apply log went to its archive, one line per entry, without duplicates.
    const archived = readFileSync(path.join(dir, "apply-log.jsonl"), "utf8").trim().split("\n");
    expect(archived).toHaveLength(1_000);
    await store.close();
    store = new SandboxStore(dir, { compactAfterRecords });
    expect(dump(store)).toEqual(before);
    await store.close();
  });

  it("takes over a data directory of the former layout (state.json + apply-log.jsonl)", async () => {
    const dir = temporaryDir();
    const store = new SandboxStore(dir);
    const account = store.createAccount("fetion", "13800000000", "pw", "Legacy");
    applyChange(store, "fetion", account, { patch: { signature: "old layout" } }, "web");
    await store.durable();
    const before = dump(store);
    await store.close();
    // Once more, so that the snapshot holds everything; then rewrite the directory as the
    // former store left it.
    await new SandboxStore(dir).close();
    // (The archive, apply-log.jsonl, already has the former apply log's format.)
    const { data } = Journal.read(dir) as { data: { state: unknown; applyTail: unknown[] } };
    expect(data.applyTail).toEqual([]);
    writeFileSync(path.join(dir, "state.json"), JSON.stringify(data.state));
    for (const name of readdirSync(dir)) {
      if (!["state.json", "apply-log.jsonl", "avatars"].includes(name)) rmSync(path.join(dir, name));
    }
    const again = new SandboxStore(dir);
    expect(dump(again)).toEqual(before);
    await again.durable();
    expect(existsSync(path.join(dir, "state.json"))).toBe(false);
    await again.close();
  });

  it("loads a data directory from before word filters and version histories, and keeps both from then on", async () => {
    const dir = temporaryDir();
    let store = new SandboxStore(dir);
    const account = store.createAccount("msn", "old@msn.example", "pw", "Old");
    applyChange(store, "msn", account, { patch: { signature: "v2" } }, "web");
    await store.close();
    await new SandboxStore(dir).close();
    // Strip what older versions did not write.
    const file = path.join(dir, "snapshot.json");
    const snapshot = JSON.parse(readFileSync(file, "utf8")) as {
      data: { state: { networks: Record<string, { wordFilter?: unknown; accounts: Record<string, object> }> } };
    };
    for (const network of Object.values(snapshot.data.state.networks)) {
      delete network.wordFilter;
      for (const old of Object.values(network.accounts)) delete (old as { history?: unknown }).history;
    }
    writeFileSync(file, JSON.stringify(snapshot));

    store = new SandboxStore(dir);
    expect(store.wordFilter("msn")).toEqual([]);
    const loaded = store.network("msn").accounts["old@msn.example"]!;
    expect(loaded.history).toBeUndefined();
    expect(store.restoreVersion("msn", "old@msn.example", 1)).toBe("unknown_version");
    applyChange(store, "msn", loaded, { patch: { signature: "v3" } }, "web");
    store.setWordFilter("msn", ["nope"]);
    await store.close();

    store = new SandboxStore(dir);
    expect(store.wordFilter("msn")).toEqual(["nope"]);
    const restored = store.restoreVersion("msn", "old@msn.example", 2);
    expect(restored).toMatchObject({ version: 2, profile: { signature: "v2", displayName: "Old" } });
    await store.close();
    store = new SandboxStore(dir);
    expect(store.network("msn").accounts["old@msn.example"]).toMatchObject({
      version: 2,
      profile: { signature: "v2" },
    });
    await store.close();
  });
});

describe("the sandbox app", () => {
  it("answers each write only once it is on disk, while writes share groups", async () => {
    const dir = temporaryDir();
    const store = new SandboxStore(dir);
    const app = createSandboxApp(store);
    // What the Node server binds; the caller is still there.
    const bindings = { incoming: { socket: { destroyed: false } } } as unknown as HttpBindings;
    const demo = SANDBOX_NETWORKS.qq.demo;
    const session = await app.request(
      "/qq/api/session",
      { method: "POST", body: JSON.stringify({ login: demo.login, password: demo.password }) },
      bindings,
    );
    const { token } = (await session.json()) as { token: string };
    const signatures = Array.from({ length: 50 }, (_, index) => `answered ${index}`);
    const onDisk = () =>
      new Set(loggedRecords(dir).flatMap((record) => (record.type === "apply" ? [String(record.entry.value)] : [])));
    const answers = await Promise.all(
      signatures.map(async (signature) => {
        const response = await app.request(
          "/qq/api/profile",
          {
            method: "PATCH",
            headers: { authorization: `Bearer ${token}`, "idempotency-key": randomUUID() },
            body: JSON.stringify({ signature }),
          },
          bindings,
        );
        // Checked the moment the answer is there, before anything else runs.
        return { status: response.status, isOnDisk: onDisk().has(signature) };
      }),
    );
    expect(answers).toEqual(signatures.map(() => ({ status: 200, isOnDisk: true })));
    // Group commit: far fewer appends than writes.
    expect(Journal.read(dir).groups.length).toBeLessThan(signatures.length / 2);
    await store.close();
  });
});

describe("the sandbox process", () => {
  it("keeps every write it answered, even when killed (SIGKILL) right after the last answer", async () => {
    const dataDir = temporaryDir();
    const first = await startSandboxProcess({ dataDir, onOutput: () => {} });
    const json = (body: unknown) => ({
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const logins = Array.from({ length: 20 }, (_, index) => String(30_001 + index));
    const tokens = await Promise.all(
      logins.map(async (login) => {
        expect((await fetch(`${first.url}/__admin/qq/accounts`, json({ login, password: "pw-kill" }))).status).toBe(
          201,
        );
        const session = await fetch(`${first.url}/qq/api/session`, json({ login, password: "pw-kill" }));
        return ((await session.json()) as { token: string }).token;
      }),
    );
    const writes = Array.from({ length: 200 }, (_, index) => ({
      login: logins[index % logins.length]!,
      token: tokens[index % logins.length]!,
      key: randomUUID(),
      signature: `write ${index}`,
    }));
    const statuses = await Promise.all(
      writes.map(async ({ token, key, signature }) => {
        const response = await fetch(`${first.url}/qq/api/profile`, {
          method: "PATCH",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "idempotency-key": key },
          body: JSON.stringify({ signature }),
        });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    await first.kill();
    expect(statuses.every((status) => status === 200)).toBe(true);

    const second = await startSandboxProcess({ dataDir, onOutput: () => {} });
    try {
      for (const login of logins) {
        const account = (await (await fetch(`${second.url}/__admin/qq/accounts/${login}`)).json()) as {
          apiWrites: number;
          version: number;
        };
        expect(account).toMatchObject({ apiWrites: 10, version: 11 });
        const { entries } = (await (await fetch(`${second.url}/__admin/qq/accounts/${login}/log`)).json()) as {
          entries: Array<{ value: string; idempotencyKey: string }>;
        };
        const sent = writes.filter((write) => write.login === login);
        expect(new Set(entries.map((entry) => `${entry.idempotencyKey} ${entry.value}`))).toEqual(
          new Set(sent.map((write) => `${write.key} ${write.signature}`)),
        );
      }
      const counters = await Promise.all(
        writes.map(async ({ key }) => (await fetch(`${second.url}/__admin/qq/idempotency/${key}`)).json()),
      );
      expect(counters.every((counter) => JSON.stringify(counter) === '{"applications":1,"replays":0}')).toBe(true);
      // Nobody receives webhooks here: all 200 events wait in the outbox, which survived too.
      const quiet = (await (await fetch(`${second.url}/__admin/quiet`)).json()) as { outbox: number };
      expect(quiet.outbox).toBe(200);
      // The demo accounts from the seed are still there as well.
      const demo = SANDBOX_NETWORKS.qq.demo;
      expect((await fetch(`${second.url}/qq/api/session`, json(demo))).status).toBe(200);
    } finally {
      await second.stop();
    }
  });
});
