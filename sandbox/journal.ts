/**
 * Crash-safe persistence for the sandbox's state: a snapshot plus an append-only log of the
 * changes made since, written by group commit.
 *
 * - Changes made close together go to disk together: while one group is being written (one
 *   append + fdatasync), the next collects everything changed meanwhile. A group is ONE line,
 *   a JSON array of records, so a crash mid-append can only tear the last line, and loses a whole
 *   group of changes (none of which was answered) or nothing.
 * - Compaction writes the whole state as a snapshot (temporary file + fdatasync + rename) under
 *   a new generation, then starts that generation's empty log. The snapshot's rename is the
 *   commit point: a log of another generation is obsolete.
 *
 * Files in the data directory: `snapshot.json` ({ generation, data }) and `log-<generation>.jsonl`.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { open, rename, rm, writeFile, type FileHandle } from "node:fs/promises";
import path from "node:path";

/** What the journal asks of the state it persists. */
export interface TJournalOwner<TRecord> {
  /** Takes the records changed since the last call; called synchronously right before a write. */
  takeRecords(): TRecord[];
  /** The whole state as a JSON-serialisable value; everything not yet taken is included. */
  snapshot(): unknown;
  /** Runs once a snapshot is durable and the log it replaced is gone. */
  afterCompaction(): Promise<void>;
}

export interface TJournalOptions {
  /** Compact once the log holds this many records… */
  compactAfterRecords?: number;
  /** …or this many bytes. */
  compactAfterBytes?: number;
}

export const DEFAULT_COMPACT_AFTER_RECORDS = 10_000;
export const DEFAULT_COMPACT_AFTER_BYTES = 64 * 1024 * 1024;

const SNAPSHOT_FILE = "snapshot.json";
const logName = (generation: number) => `log-${generation}.jsonl`;
const LOG_NAME = /^log-(\d+)\.jsonl$/;

interface TDeferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function deferred(): TDeferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A group nobody awaits must not surface as an unhandled rejection; its waiters still see it.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/**
 * Parses a file of JSON lines. The last line, when unterminated or unparsable, is the trace of an
 * append torn by a crash and is ignored; an unparsable line before it is corruption and throws.
 * `validBytes` is the length of the intact part.
 */
export function readJsonLines(file: string): { values: unknown[]; validBytes: number; isTorn: boolean } {
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  // After the last "\n": "" for an intact file, else an unterminated (torn) line.
  const unterminated = lines.pop() ?? "";
  const values: unknown[] = [];
  let validBytes = 0;
  for (const [index, line] of lines.entries()) {
    try {
      values.push(JSON.parse(line));
    } catch (error) {
      if (index === lines.length - 1 && unterminated === "") return { values, validBytes, isTorn: true };
      throw new Error(`${file}: line ${index + 1} of ${lines.length} is corrupt`, { cause: error });
    }
    validBytes += Buffer.byteLength(line) + 1;
  }
  return { values, validBytes, isTorn: unterminated !== "" };
}

/** Writes a file atomically and durably: a temporary file, fdatasync, rename, fsync of the directory. */
async function writeDurably(file: string, text: string): Promise<void> {
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, "w");
  try {
    await writeFile(handle, text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  await syncDirectory(path.dirname(file));
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class Journal<TRecord> {
  /** Waiters for the group being collected (changes not yet on their way to disk). */
  private collecting: TDeferred | null = null;
  /** Waiters for the group being written. */
  private writing: TDeferred | null = null;
  private log: FileHandle | null = null;
  private recordsInLog = 0;
  private bytesInLog = 0;
  private isCompactionDue = false;
  private failure: unknown = null;
  private readonly compactAfterRecords: number;
  private readonly compactAfterBytes: number;

  /** Reads what is on disk: the last snapshot's data (null if none) and the groups logged after it. */
  static read<TRecord>(dir: string): { generation: number; data: unknown; groups: TRecord[][] } {
    const snapshotFile = path.join(dir, SNAPSHOT_FILE);
    const snapshot = existsSync(snapshotFile)
      ? (JSON.parse(readFileSync(snapshotFile, "utf8")) as { generation: number; data: unknown })
      : { generation: 0, data: null };
    const logFile = path.join(dir, logName(snapshot.generation));
    const groups = existsSync(logFile) ? (readJsonLines(logFile).values as TRecord[][]) : [];
    for (const group of groups) {
      if (!Array.isArray(group)) throw new Error(`${logFile}: a line is not a group of records`);
    }
    return { generation: snapshot.generation, data: snapshot.data, groups };
  }

  constructor(
    private readonly dir: string,
    private generation: number,
    private readonly owner: TJournalOwner<TRecord>,
    options: TJournalOptions = {},
  ) {
    this.compactAfterRecords = options.compactAfterRecords ?? DEFAULT_COMPACT_AFTER_RECORDS;
    this.compactAfterBytes = options.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES;
    // Leftovers of a crash mid-compaction: logs of other generations, a half-written snapshot.
    for (const name of readdirSync(dir)) {
      const match = name.match(LOG_NAME);
      if ((match && Number(match[1]) !== generation) || name === `${SNAPSHOT_FILE}.tmp`) {
        rmSync(path.join(dir, name), { force: true });
      }
    }
  }

  /** Something changed: it goes to disk with the next group. */
  changed(): void {
    if (this.collecting) return;
    this.collecting = deferred();
    // Wait a turn of the event loop, so requests handled together share a write.
    if (!this.writing) setImmediate(() => void this.writeGroups());
  }

  /** The next group replaces the log with a snapshot (as at start-up, whatever the log's size). */
  compactSoon(): void {
    this.isCompactionDue = true;
    this.changed();
  }

  /** Resolves once every change made before the call is on disk. */
  durable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return (this.collecting ?? this.writing)?.promise ?? Promise.resolve();
  }

  /** Waits for what is pending, then closes the log. */
  async close(): Promise<void> {
    await this.durable();
    await this.log?.close();
    this.log = null;
  }

  private async writeGroups(): Promise<void> {
    while (this.collecting) {
      const group = this.collecting;
      this.collecting = null;
      this.writing = group;
      try {
        if (this.failure) throw this.failure;
        if (this.isCompactionDue) await this.compact();
        else await this.append();
        group.resolve();
      } catch (error) {
        // The state in memory is now ahead of the disk: fail every later write loudly.
        this.failure ??= error;
        group.reject(error);
      }
      this.writing = null;
    }
  }

  private async append(): Promise<void> {
    const records = this.owner.takeRecords();
    if (records.length === 0) return;
    const line = `${JSON.stringify(records)}\n`;
    this.log ??= await open(path.join(this.dir, logName(this.generation)), "a");
    await writeFile(this.log, line);
    await this.log.datasync();
    this.recordsInLog += records.length;
    this.bytesInLog += Buffer.byteLength(line);
    if (this.recordsInLog >= this.compactAfterRecords || this.bytesInLog >= this.compactAfterBytes) {
      this.compactSoon();
    }
  }

  private async compact(): Promise<void> {
    // The snapshot covers the records changed so far; taking them keeps them out of the next log.
    this.owner.takeRecords();
    const next = this.generation + 1;
    const text = JSON.stringify({ generation: next, data: this.owner.snapshot() });
    await writeDurably(path.join(this.dir, SNAPSHOT_FILE), text);
    const previous = this.generation;
    await this.log?.close();
    this.log = await open(path.join(this.dir, logName(next)), "wx");
    await syncDirectory(this.dir);
    this.generation = next;
    this.recordsInLog = 0;
    this.bytesInLog = 0;
    this.isCompactionDue = false;
    await rm(path.join(this.dir, logName(previous)), { force: true });
    await this.owner.afterCompaction();
  }
}
