/**
 * The sandbox vendor's state: accounts, sessions, idempotency records, faults and the webhook
 * outbox, kept in one JSON file (written atomically after every change) plus avatar files, so a
 * restart loses nothing.
 */
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SANDBOX_NETWORK_IDS, SANDBOX_NETWORKS, type TSandboxNetworkId } from "./networks";

export interface TAvatar {
  sha256: string;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
}

export interface TVendorProfile {
  displayName: string;
  signature: string;
  mood: string | null;
  moodText: string;
  avatar: TAvatar | null;
}

export interface TAccount {
  login: string;
  passwordHash: string;
  profile: TVendorProfile;
  /** Bumped by every applied change. */
  version: number;
  updatedAt: string;
  /** Writes applied through the API, for tests that prove nothing was applied twice. */
  apiWrites: number;
}

export interface TIdempotencyRecord {
  fingerprint: string;
  status: number;
  body: unknown;
  applications: number;
  replays: number;
}

export interface TFaults {
  latencyMs: number;
  /** Share of API requests (0..1) answered with `errorStatus`. */
  errorRate: number;
  errorStatus: 500 | 503;
  /** When set, every API request is answered 429 with this Retry-After. */
  rateLimitRetryAfterSeconds: number | null;
  /** Never answer API requests. */
  isTimingOut: boolean;
  /** Drop API connections at once, as a server that is down. */
  isDown: boolean;
}

export const NO_FAULTS: TFaults = {
  latencyMs: 0,
  errorRate: 0,
  errorStatus: 503,
  rateLimitRetryAfterSeconds: null,
  isTimingOut: false,
  isDown: false,
};

export interface TWebhookEvent {
  id: string;
  network: TSandboxNetworkId;
  body: string;
  attempts: number;
  nextAttemptAt: number;
  /** A duplicate sent on purpose (webhook chaos): sent once, whatever the answer. */
  isCopy?: boolean;
}

/** One field changed by one applied change, as the vendor recorded it. */
export interface TApplyLogEntry {
  seq: number;
  at: string;
  network: TSandboxNetworkId;
  login: string;
  field: "displayName" | "signature" | "mood" | "moodText" | "avatar";
  /** The new value; for the avatar its sha256 (or null when removed). */
  value: string | null;
  /** The account's version after the change. */
  version: number;
  origin: "api" | "web";
  idempotencyKey: string | null;
}

/** Test-only disturbances of the webhook sender. */
export interface TWebhookChaos {
  duplicateRate: number;
  maxDelayMs: number;
  isPaused: boolean;
}
export const NO_CHAOS: TWebhookChaos = { duplicateRate: 0, maxDelayMs: 0, isPaused: false };

interface TNetworkState {
  accounts: Record<string, TAccount>;
  sessions: Record<string, { login: string; expiresAt: number }>;
  idempotency: Record<string, TIdempotencyRecord>;
  faults: TFaults;
}

interface TState {
  networks: Record<TSandboxNetworkId, TNetworkState>;
  outbox: TWebhookEvent[];
}

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `${salt.toString("hex")}:${scryptSync(password, salt, 32).toString("hex")}`;
}

export function checkPassword(passwordHash: string, password: string): boolean {
  const [salt, hash] = passwordHash.split(":");
  if (!salt || !hash) return false;
  const actual = scryptSync(password, Buffer.from(salt, "hex"), 32);
  return timingSafeEqual(actual, Buffer.from(hash, "hex"));
}

function seed(): TState {
  const networks = {} as Record<TSandboxNetworkId, TNetworkState>;
  for (const id of SANDBOX_NETWORK_IDS) {
    const { demo } = SANDBOX_NETWORKS[id];
    networks[id] = {
      accounts: {
        [demo.login]: {
          login: demo.login,
          passwordHash: hashPassword(demo.password),
          profile: { displayName: demo.displayName, signature: "", mood: null, moodText: "", avatar: null },
          version: 1,
          updatedAt: new Date().toISOString(),
          apiWrites: 0,
        },
      },
      sessions: {},
      idempotency: {},
      faults: { ...NO_FAULTS },
    };
  }
  return { networks, outbox: [] };
}

export class SandboxStore {
  private state: TState;
  readonly avatarDir: string;
  private readonly file: string;
  private readonly logFile: string;
  private readonly logs = new Map<string, TApplyLogEntry[]>();
  private logSeq = 0;
  /** The sandbox's own origin (http://127.0.0.1:PORT), known once it listens; used in event URLs. */
  publicUrl = "";
  webhookChaos: TWebhookChaos = { ...NO_CHAOS };
  /** In-progress work, for the quiet check. */
  readonly busy = { apiInFlight: 0, webhooksInFlight: 0, dropped: 0 };

  constructor(readonly dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.avatarDir = path.join(dataDir, "avatars");
    mkdirSync(this.avatarDir, { recursive: true });
    this.file = path.join(dataDir, "state.json");
    this.state = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, "utf8")) as TState) : seed();
    // The apply log is append-only (one JSON line per entry): it grows with every write.
    this.logFile = path.join(dataDir, "apply-log.jsonl");
    if (existsSync(this.logFile)) {
      for (const line of readFileSync(this.logFile, "utf8").split("\n")) {
        if (!line) continue;
        const entry = JSON.parse(line) as TApplyLogEntry;
        this.index(entry);
        this.logSeq = Math.max(this.logSeq, entry.seq);
      }
    }
    this.save();
  }

  private index(entry: TApplyLogEntry): void {
    const key = `${entry.network}|${entry.login}`;
    const list = this.logs.get(key) ?? [];
    list.push(entry);
    this.logs.set(key, list);
  }

  appendLog(entries: Array<Omit<TApplyLogEntry, "seq">>): void {
    if (entries.length === 0) return;
    const complete = entries.map((entry) => ({ ...entry, seq: ++this.logSeq }));
    appendFileSync(this.logFile, complete.map((entry) => `${JSON.stringify(entry)}\n`).join(""));
    for (const entry of complete) this.index(entry);
  }

  logOf(network: TSandboxNetworkId, login: string): TApplyLogEntry[] {
    return this.logs.get(`${network}|${login}`) ?? [];
  }

  /** Writes the state to a temporary file and renames it over the old one (atomic on POSIX). */
  save(): void {
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.state));
    renameSync(temporary, this.file);
  }

  network(id: TSandboxNetworkId): TNetworkState {
    return this.state.networks[id];
  }

  get outbox(): TWebhookEvent[] {
    return this.state.outbox;
  }

  createAccount(network: TSandboxNetworkId, login: string, password: string, displayName: string): TAccount {
    const account: TAccount = {
      login,
      passwordHash: hashPassword(password),
      profile: { displayName, signature: "", mood: null, moodText: "", avatar: null },
      version: 1,
      updatedAt: new Date().toISOString(),
      apiWrites: 0,
    };
    this.network(network).accounts[login] = account;
    this.save();
    return account;
  }

  /** Starts a session after checking the password; null when they do not match. */
  signIn(network: TSandboxNetworkId, login: string, password: string): string | null {
    const account = this.network(network).accounts[login];
    if (!account || !checkPassword(account.passwordHash, password)) return null;
    const token = randomBytes(24).toString("base64url");
    this.network(network).sessions[token] = { login, expiresAt: Date.now() + 60 * 60 * 1000 };
    this.save();
    return token;
  }

  accountForToken(network: TSandboxNetworkId, token: string): TAccount | null {
    const session = this.network(network).sessions[token];
    if (!session || session.expiresAt < Date.now()) return null;
    return this.network(network).accounts[session.login] ?? null;
  }

  /** Credential revocation: a new password and no live sessions, as after a password reset. */
  setPassword(network: TSandboxNetworkId, login: string, password: string): boolean {
    const state = this.network(network);
    const account = state.accounts[login];
    if (!account) return false;
    account.passwordHash = hashPassword(password);
    for (const [token, session] of Object.entries(state.sessions)) {
      if (session.login === login) delete state.sessions[token];
    }
    this.save();
    return true;
  }

  setFaults(network: TSandboxNetworkId, faults: TFaults): void {
    this.network(network).faults = faults;
    this.save();
  }

  enqueueWebhook(event: TWebhookEvent): void {
    this.state.outbox.push(event);
    this.save();
  }

  /** Takes one outbox entry out (the event itself, or its deliberate duplicate). */
  removeWebhook(event: TWebhookEvent): void {
    this.state.outbox = this.state.outbox.filter(
      (e) => e.id !== event.id || Boolean(e.isCopy) !== Boolean(event.isCopy),
    );
    this.save();
  }
}
