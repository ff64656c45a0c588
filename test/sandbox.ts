/** Test helpers: a real sandbox vendor process per test file, with fault and account controls. */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import type { TSandboxNetworkId } from "../sandbox/networks";
import { startSandboxProcess } from "../sandbox/process";
import type { TApplyLogEntry, TSandboxQuiet } from "../sandbox/events";
import type { TFaults, TWebhookChaos } from "../sandbox/store";

export interface TWebChange {
  displayName?: string;
  signature?: string;
  mood?: string | null;
  moodText?: string;
  avatar?: Buffer;
  removeAvatar?: boolean;
}

export interface TTestSandbox {
  url: string;
  dataDir: string;
  setFaults(network: TSandboxNetworkId, faults: Partial<TFaults>): Promise<void>;
  clearFaults(): Promise<void>;
  createAccount(network: TSandboxNetworkId, login: string, password: string): Promise<void>;
  setPassword(network: TSandboxNetworkId, login: string, password: string): Promise<void>;
  account(network: TSandboxNetworkId, login: string): Promise<Record<string, unknown> & { apiWrites: number }>;
  /** The vendor's per-field apply log for one account. */
  log(network: TSandboxNetworkId, login: string): Promise<{ entries: TApplyLogEntry[] }>;
  /** Whether the vendor has nothing in flight and an empty webhook outbox. */
  quiet(): Promise<TSandboxQuiet>;
  /** Webhook chaos: duplicates, random first-send delays (reordering), pause. `{}` resets. */
  setWebhooks(settings: Partial<TWebhookChaos>): Promise<void>;
  /** A change made by the person inside the network (origin "web"). */
  webChange(network: TSandboxNetworkId, login: string, change: TWebChange): Promise<Record<string, unknown>>;
  /** Words the network refuses in profile text (422 content_refused) from now on; `[]` clears the filter. */
  setWordFilter(network: TSandboxNetworkId, words: string[]): Promise<void>;
  /**
   * Sets an account back to the profile and version it had at an earlier version (a backup
   * restore): no webhook, no apply-log entry. Answers the account as `account()` does.
   */
  restore(network: TSandboxNetworkId, login: string, version: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

async function ok(response: Promise<Response>): Promise<Response> {
  const answer = await response;
  if (!answer.ok) throw new Error(`sandbox admin: ${answer.status} ${await answer.text()}`);
  return answer;
}

export interface TSandboxOptions {
  webhookUrl?: string;
  webhookSecret?: string;
  webhookIntervalMs?: number;
  webhookRetryBaseMs?: number;
  webhookRetryMaxMs?: number;
}

export async function startTestSandbox(options: TSandboxOptions & { dataDir?: string } = {}): Promise<TTestSandbox> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "oneprofile-sandbox-"));
  // Cheap password hashing (scrypt N=1024): tests sign in hundreds of accounts on two cores, and a
  // slow check under load reads as a vendor timeout to the connector.
  const process = await startSandboxProcess({ dataDir, passwordCost: 1024, ...options, onOutput: () => {} });
  const json = (body: unknown) => ({
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const sandbox: TTestSandbox = {
    url: process.url,
    dataDir,
    async setFaults(network, faults) {
      await ok(fetch(`${process.url}/__admin/faults/${network}`, { ...json(faults), method: "PUT" }));
    },
    async clearFaults() {
      await ok(fetch(`${process.url}/__admin/faults`, { method: "DELETE" }));
    },
    async createAccount(network, login, password) {
      await ok(fetch(`${process.url}/__admin/${network}/accounts`, json({ login, password })));
    },
    async setPassword(network, login, password) {
      await ok(
        fetch(`${process.url}/__admin/${network}/accounts/${encodeURIComponent(login)}/password`, json({ password })),
      );
    },
    async account(network, login) {
      return (
        await ok(fetch(`${process.url}/__admin/${network}/accounts/${encodeURIComponent(login)}`))
      ).json() as Promise<Record<string, unknown> & { apiWrites: number }>;
    },
    async log(network, login) {
      return (
        await ok(fetch(`${process.url}/__admin/${network}/accounts/${encodeURIComponent(login)}/log`))
      ).json() as Promise<{ entries: TApplyLogEntry[] }>;
    },
    async quiet() {
      return (await ok(fetch(`${process.url}/__admin/quiet`))).json() as Promise<TSandboxQuiet>;
    },
    async setWebhooks(settings) {
      await ok(fetch(`${process.url}/__admin/webhooks`, { ...json(settings), method: "PUT" }));
    },
    async webChange(network, login, change) {
      const { avatar, ...rest } = change;
      const body = { ...rest, ...(avatar ? { avatarBase64: avatar.toString("base64") } : {}) };
      return (
        await ok(
          fetch(`${process.url}/__admin/${network}/accounts/${encodeURIComponent(login)}/web-change`, json(body)),
        )
      ).json() as Promise<Record<string, unknown>>;
    },
    async setWordFilter(network, words) {
      await ok(fetch(`${process.url}/__admin/${network}/word-filter`, { ...json({ words }), method: "PUT" }));
    },
    async restore(network, login, version) {
      return (
        await ok(
          fetch(`${process.url}/__admin/${network}/accounts/${encodeURIComponent(login)}/restore`, json({ version })),
        )
      ).json() as Promise<Record<string, unknown>>;
    },
    stop: () => process.stop(),
  };
  return sandbox;
}

/** A sandbox for the whole test file, stopped (and its data removed) afterwards. */
export async function setupTestSandbox(options: TSandboxOptions = {}) {
  const sandbox = await startTestSandbox(options);
  afterAll(async () => {
    await sandbox.stop();
    rmSync(sandbox.dataDir, { recursive: true, force: true });
  });
  return sandbox;
}
