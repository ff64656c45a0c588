/** Captures the process logger's lines (JSON on stdout) for a test, at the level it needs. */
import type { LevelWithSilent } from "pino";
import { vi } from "vitest";
import { logger } from "../server/log";

export interface TLogCapture {
  /** Every line written so far, as written. */
  lines(): string[];
  /** Every line written so far, parsed (throws if one is not JSON). */
  entries(): Array<Record<string, unknown>>;
  restore(): void;
}

export function captureLogs(level: LevelWithSilent = "info"): TLogCapture {
  const previous = logger.level;
  logger.level = level;
  const chunks: string[] = [];
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  });
  const lines = () => chunks.join("").split("\n").filter(Boolean);
  return {
    lines,
    entries: () => lines().map((line) => JSON.parse(line) as Record<string, unknown>),
    restore() {
      write.mockRestore();
      logger.level = previous;
    },
  };
}
