/**
 * The sandbox vendor's state: accounts, sessions, idempotency records, faults, the webhook
 * outbox and the apply log, held in memory and persisted by a journal (./journal.ts): every
 * change is a typed record appended to a log in group commits, and the log is compacted into a
 * snapshot at start-up and once it grows. A change is durable once `durable()` resolves; the
 * app answers no request before that, so a restart (even after a kill -9) loses nothing answered.
 * Avatars are files of their own.
 *
 * The apply log lives in the journal's records too (so a change and its apply-log entries reach
 * the disk together); compaction moves its entries to the append-only archive `apply-log.jsonl`.
 * A data directory of the former layout (`state.json`) is taken over at start-up.
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, truncateSync } from "node:fs";
import { open, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Journal, readJsonLines, type TJournalOptions, type TJournalOwner } from "./journal";
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
  /**
   * The profile at each of its last versions (oldest first, one entry per version), for a restore
   * to an earlier one. Absent in data directories from before it was kept.
   */
  history?: TVersionSnapshot[];
}

/** An account's profile as it was at one version. */
export interface TVersionSnapshot {
  version: number;
  profile: TVendorProfile;
  updatedAt: string;
}

/** How many versions of each account's profile the history keeps. */
export const HISTORY_LENGTH = 64;

/** Adds the account's present profile and version to its history (replacing an entry of the same version). */
export function rememberVersion(account: TAccount): void {
  const entry: TVersionSnapshot = {
    version: account.version,
    profile: structuredClone(account.profile),
    updatedAt: account.updatedAt,
  };
  const kept = (account.history ?? []).filter((old) => old.version !== account.version);
  account.history = [...kept, entry].slice(-HISTORY_LENGTH);
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

export interface TSession {
  login: string;
  expiresAt: number;
}

interface TNetworkState {
  accounts: Record<string, TAccount>;
  sessions: Record<string, TSession>;
  idempotency: Record<string, TIdempotencyRecord>;
  faults: TFaults;
  /** Words this network refuses in profile text (any case); absent in older data directories. */
  wordFilter?: string[];
}

interface TState {
  networks: Record<TSandboxNetworkId, TNetworkState>;
  outbox: TWebhookEvent[];
}

/** scrypt's default cost (N); a hash made with another one records it (`salt:hash:N`). */
const DEFAULT_PASSWORD_COST = 16_384;

export function hashPassword(password: string, cost = DEFAULT_PASSWORD_COST): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N: cost }).toString("hex");
  return `${salt.toString("hex")}:${hash}${cost === DEFAULT_PASSWORD_COST ? "" : `:${cost}`}`;
}

/**
 * Checks a password on libuv's thread pool: a sign-in must not stop the process for the length
 * of a scrypt (milliseconds each), or every other request, group commit and webhook waits behind
 * it, as no real vendor's server would.
 */
export async function checkPassword(passwordHash: string, password: string): Promise<boolean> {
  const [salt, hash, cost] = passwordHash.split(":");
  if (!salt || !hash) return false;
  const actual = await new Promise<Buffer>((resolve, reject) =>
    scrypt(password, Buffer.from(salt, "hex"), 32, { N: Number(cost ?? DEFAULT_PASSWORD_COST) }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
  return timingSafeEqual(actual, Buffer.from(hash, "hex"));
}

function seed(): TState {
  const networks = {} as Record<TSandboxNetworkId, TNetworkState>;
  for (const id of SANDBOX_NETWORK_IDS) {
    const { demo } = SANDBOX_NETWORKS[id];
    const account: TAccount = {
      login: demo.login,
      passwordHash: hashPassword(demo.password),
      profile: { displayName: demo.displayName, signature: "", mood: null, moodText: "", avatar: null },
      version: 1,
      updatedAt: new Date().toISOString(),
      apiWrites: 0,
    };
    rememberVersion(account);
    networks[id] = {
      accounts: { [demo.login]: account },
      sessions: {},
      idempotency: {},
      faults: { ...NO_FAULTS },
      wordFilter: [],
    };
  }
  return { networks, outbox: [] };
}

/**
 * One change, as the journal logs it: the new value of one account, session, idempotency record,
 * network's faults or word filter, or outbox entry (null: removed), or one new apply-log entry.
 */
export type TStoreRecord =
  | { type: "account"; network: TSandboxNetworkId; login: string; account: TAccount }
  | { type: "session"; network: TSandboxNetworkId; token: string; session: TSession | null }
  | { type: "idempotency"; network: TSandboxNetworkId; key: string; record: TIdempotencyRecord }
  | { type: "faults"; network: TSandboxNetworkId; faults: TFaults }
  | { type: "wordFilter"; network: TSandboxNetworkId; words: string[] }
  | { type: "webhook"; key: string; event: TWebhookEvent | null }
  | { type: "apply"; entry: TApplyLogEntry };

/** What a snapshot holds: the state, and the apply-log entries not yet in the archive. */
interface TSnapshotData {
  state: TState;
  applyTail: TApplyLogEntry[];
}

/** An outbox entry's identity: the event, or its deliberate duplicate. */
export function webhookKey(event: Pick<TWebhookEvent, "id" | "isCopy">): string {
  return `${event.id}${event.isCopy ? ":copy" : ""}`;
}

/** Records of one thing replace each other within a group: the group keeps the latest value. */
function recordKey(record: TStoreRecord): string {
  switch (record.type) {
    case "account":
      return `account|${record.network}|${record.login}`;
    case "session":
      return `session|${record.network}|${record.token}`;
    case "idempotency":
      return `idempotency|${record.network}|${record.key}`;
    case "faults":
      return `faults|${record.network}`;
    case "wordFilter":
      return `wordFilter|${record.network}`;
    case "webhook":
      return `webhook|${record.key}`;
    case "apply":
      return `apply|${record.entry.seq}`;
  }
}

export class SandboxStore implements TJournalOwner<TStoreRecord> {
  private state: TState;
  readonly avatarDir: string;
  private readonly journal: Journal<TStoreRecord>;
  /** Changes not yet taken by the journal, by what they change. */
  private readonly changes = new Map<string, TStoreRecord>();
  /** The apply log's archive: entries compacted out of the journal, one JSON line each. */
  private readonly archiveFile: string;
  private archivedSeq = 0;
  /** Apply-log entries not yet in the archive (in the journal's snapshot or log), in order. */
  private unarchived: TApplyLogEntry[] = [];
  /** Up to which entry the snapshot being written covers the apply log. */
  private snapshotSeq = 0;
  private readonly legacyFile: string;
  private readonly logs = new Map<string, TApplyLogEntry[]>();
  private logSeq = 0;
  /** The sandbox's own origin (http://127.0.0.1:PORT), known once it listens; used in event URLs. */
  publicUrl = "";
  /** scrypt cost of passwords set from now on (SANDBOX_PASSWORD_COST). */
  passwordCost = DEFAULT_PASSWORD_COST;
  webhookChaos: TWebhookChaos = { ...NO_CHAOS };
  /** In-progress work, for the quiet check. */
  readonly busy = { apiInFlight: 0, webhooksInFlight: 0, dropped: 0 };

  constructor(
    readonly dataDir: string,
    options: TJournalOptions = {},
  ) {
    mkdirSync(dataDir, { recursive: true });
    this.avatarDir = path.join(dataDir, "avatars");
    mkdirSync(this.avatarDir, { recursive: true });

    this.archiveFile = path.join(dataDir, "apply-log.jsonl");
    if (existsSync(this.archiveFile)) {
      const archive = readJsonLines(this.archiveFile);
      // A torn tail is cut off, so that the next append starts on a line of its own.
      if (archive.isTorn) truncateSync(this.archiveFile, archive.validBytes);
      for (const entry of archive.values as TApplyLogEntry[]) this.index(entry);
      this.archivedSeq = this.logSeq;
    }

    const stored = Journal.read<TStoreRecord>(dataDir);
    const snapshot = stored.data as TSnapshotData | null;
    this.legacyFile = path.join(dataDir, "state.json");
    const legacy = !snapshot && existsSync(this.legacyFile);
    this.state = snapshot?.state ?? (legacy ? (JSON.parse(readFileSync(this.legacyFile, "utf8")) as TState) : seed());
    for (const entry of snapshot?.applyTail ?? []) this.replayEntry(entry);
    const outbox = new Map(this.state.outbox.map((event) => [webhookKey(event), event]));
    for (const group of stored.groups) {
      for (const record of group) this.replay(record, outbox);
    }
    this.state.outbox = [...outbox.values()];

    this.journal = new Journal(dataDir, stored.generation, this, options);
    // Start from a snapshot and an empty log (this also drops a torn last line for good).
    this.journal.compactSoon();
  }

  private replay(record: TStoreRecord, outbox: Map<string, TWebhookEvent>): void {
    switch (record.type) {
      case "account":
        this.network(record.network).accounts[record.login] = record.account;
        return;
      case "session":
        if (record.session) this.network(record.network).sessions[record.token] = record.session;
        else delete this.network(record.network).sessions[record.token];
        return;
      case "idempotency":
        this.network(record.network).idempotency[record.key] = record.record;
        return;
      case "faults":
        this.network(record.network).faults = record.faults;
        return;
      case "wordFilter":
        this.network(record.network).wordFilter = record.words;
        return;
      case "webhook":
        if (record.event) outbox.set(record.key, record.event);
        else outbox.delete(record.key);
        return;
      case "apply":
        this.replayEntry(record.entry);
        return;
      default:
        throw new Error(`sandbox store: unknown record ${JSON.stringify(record)}`);
    }
  }

  /** An apply-log entry from the snapshot or the log; one the archive has already is skipped. */
  private replayEntry(entry: TApplyLogEntry): void {
    if (entry.seq <= this.archivedSeq) return;
    this.index(entry);
    this.unarchived.push(entry);
  }

  private index(entry: TApplyLogEntry): void {
    const key = `${entry.network}|${entry.login}`;
    const list = this.logs.get(key) ?? [];
    list.push(entry);
    this.logs.set(key, list);
    this.logSeq = Math.max(this.logSeq, entry.seq);
  }

  private record(record: TStoreRecord): void {
    this.changes.set(recordKey(record), record);
    this.journal.changed();
  }

  // ---- the journal's side (TJournalOwner) ----

  takeRecords(): TStoreRecord[] {
    const records = [...this.changes.values()];
    this.changes.clear();
    return records;
  }

  snapshot(): TSnapshotData {
    this.snapshotSeq = this.logSeq;
    return { state: this.state, applyTail: this.unarchived };
  }

  async afterCompaction(): Promise<void> {
    const entries = this.unarchived.filter((entry) => entry.seq <= this.snapshotSeq);
    if (entries.length > 0) {
      const handle = await open(this.archiveFile, "a");
      try {
        await writeFile(handle, entries.map((entry) => `${JSON.stringify(entry)}\n`).join(""));
        await handle.datasync();
      } finally {
        await handle.close();
      }
    }
    this.archivedSeq = this.snapshotSeq;
    this.unarchived = this.unarchived.filter((entry) => entry.seq > this.archivedSeq);
    await rm(this.legacyFile, { force: true });
  }

  // ---- durability ----

  /** Resolves once every change made so far is on disk; a request is answered only after it. */
  durable(): Promise<void> {
    return this.journal.durable();
  }

  /** Waits for pending changes to reach the disk and closes the files. */
  close(): Promise<void> {
    return this.journal.close();
  }

  // ---- the state and its changes ----

  appendLog(entries: Array<Omit<TApplyLogEntry, "seq">>): void {
    for (const entry of entries) {
      const complete = { ...entry, seq: ++this.logSeq };
      this.index(complete);
      this.unarchived.push(complete);
      this.record({ type: "apply", entry: complete });
    }
  }

  logOf(network: TSandboxNetworkId, login: string): TApplyLogEntry[] {
    return this.logs.get(`${network}|${login}`) ?? [];
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
      passwordHash: hashPassword(password, this.passwordCost),
      profile: { displayName, signature: "", mood: null, moodText: "", avatar: null },
      version: 1,
      updatedAt: new Date().toISOString(),
      apiWrites: 0,
    };
    rememberVersion(account);
    this.network(network).accounts[login] = account;
    this.accountChanged(network, account);
    return account;
  }

  /** Records a change made to an account object in place (its profile, version, counters). */
  accountChanged(network: TSandboxNetworkId, account: TAccount): void {
    this.record({ type: "account", network, login: account.login, account });
  }

  /** Starts a session after checking the password; null when they do not match. */
  async signIn(network: TSandboxNetworkId, login: string, password: string): Promise<string | null> {
    const account = this.network(network).accounts[login];
    if (!account) return null;
    const passwordHash = account.passwordHash;
    if (!(await checkPassword(passwordHash, password))) return null;
    // Reset while being checked: the password checked is no longer the account's.
    if (this.network(network).accounts[login]?.passwordHash !== passwordHash) return null;
    const token = randomBytes(24).toString("base64url");
    const session = { login, expiresAt: Date.now() + 60 * 60 * 1000 };
    this.network(network).sessions[token] = session;
    this.record({ type: "session", network, token, session });
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
    account.passwordHash = hashPassword(password, this.passwordCost);
    this.accountChanged(network, account);
    for (const [token, session] of Object.entries(state.sessions)) {
      if (session.login !== login) continue;
      delete state.sessions[token];
      this.record({ type: "session", network, token, session: null });
    }
    return true;
  }

  putIdempotency(network: TSandboxNetworkId, key: string, record: TIdempotencyRecord): void {
    this.network(network).idempotency[key] = record;
    this.record({ type: "idempotency", network, key, record });
  }

  setFaults(network: TSandboxNetworkId, faults: TFaults): void {
    this.network(network).faults = faults;
    this.record({ type: "faults", network, faults });
  }

  /** The words the network refuses in profile text from now on; an empty list clears the filter. */
  setWordFilter(network: TSandboxNetworkId, words: string[]): void {
    this.network(network).wordFilter = [...words];
    this.record({ type: "wordFilter", network, words: [...words] });
  }

  wordFilter(network: TSandboxNetworkId): readonly string[] {
    return this.network(network).wordFilter ?? [];
  }

  /**
   * Sets an account back to the profile it had at an earlier version, version number included
   * (as a vendor restored from a backup): no webhook and no apply-log entry, as the vendor does
   * not report it as a change. Later changes continue from that version.
   */
  restoreVersion(
    network: TSandboxNetworkId,
    login: string,
    version: number,
  ): TAccount | "unknown_account" | "unknown_version" {
    const account = this.network(network).accounts[login];
    if (!account) return "unknown_account";
    const entry = account.history?.find((old) => old.version === version);
    if (!entry) return "unknown_version";
    account.profile = structuredClone(entry.profile);
    account.version = entry.version;
    account.updatedAt = entry.updatedAt;
    this.accountChanged(network, account);
    return account;
  }

  enqueueWebhook(event: TWebhookEvent): void {
    this.state.outbox.push(event);
    this.webhookChanged(event);
  }

  /** Records a change made to an outbox entry in place (its attempts, its next attempt). */
  webhookChanged(event: TWebhookEvent): void {
    const key = webhookKey(event);
    this.record({ type: "webhook", key, event });
  }

  /** Takes one outbox entry out (the event itself, or its deliberate duplicate). */
  removeWebhook(event: TWebhookEvent): void {
    const key = webhookKey(event);
    // Usually the entry itself, and near the front (oldest first): no pass over the whole outbox.
    const index = this.state.outbox.indexOf(event);
    if (index >= 0) this.state.outbox.splice(index, 1);
    else this.state.outbox = this.state.outbox.filter((e) => webhookKey(e) !== key);
    this.record({ type: "webhook", key, event: null });
  }
}
