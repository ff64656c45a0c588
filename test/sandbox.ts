/** Test helpers: a real sandbox vendor process per test file, with fault and account controls. */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import type { TSandboxNetworkId } from "../sandbox/networks";
import { startSandboxProcess } from "../sandbox/process";
import type { TFaults } from "../sandbox/store";

export interface TTestSandbox {
  url: string;
  dataDir: string;
  setFaults(network: TSandboxNetworkId, faults: Partial<TFaults>): Promise<void>;
  clearFaults(): Promise<void>;
  createAccount(network: TSandboxNetworkId, login: string, password: string): Promise<void>;
  setPassword(network: TSandboxNetworkId, login: string, password: string): Promise<void>;
  account(network: TSandboxNetworkId, login: string): Promise<Record<string, unknown> & { apiWrites: number }>;
  stop(): Promise<void>;
}

async function ok(response: Promise<Response>): Promise<Response> {
  const answer = await response;
  if (!answer.ok) throw new Error(`sandbox admin: ${answer.status} ${await answer.text()}`);
  return answer;
}

export async function startTestSandbox(
  options: { webhookUrl?: string; webhookSecret?: string; dataDir?: string } = {},
): Promise<TTestSandbox> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "oneprofile-sandbox-"));
  const process = await startSandboxProcess({ dataDir, ...options, onOutput: () => {} });
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
    stop: () => process.stop(),
  };
  return sandbox;
}

/** A sandbox for the whole test file, stopped (and its data removed) afterwards. */
export async function setupTestSandbox(options: { webhookUrl?: string; webhookSecret?: string } = {}) {
  const sandbox = await startTestSandbox(options);
  afterAll(async () => {
    await sandbox.stop();
    rmSync(sandbox.dataDir, { recursive: true, force: true });
  });
  return sandbox;
}
