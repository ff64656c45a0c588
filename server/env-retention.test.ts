/**
 * DELIVERY_RETENTION_DAYS is bounded: a value whose cutoff lies before the year 4713 BC made every
 * cleanup run fail with "timestamp out of range"; now such a start stops, naming the setting.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadEnv } from "./env";

const load = (days: string) =>
  loadEnv({
    NODE_ENV: "development",
    ONEPROFILE_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), "oneprofile-env-")),
    DELIVERY_RETENTION_DAYS: days,
  });

describe("DELIVERY_RETENTION_DAYS", () => {
  it("takes up to a hundred years and refuses more", () => {
    expect(load("36500").DELIVERY_RETENTION_DAYS).toBe(36500);
    expect(() => load("36501")).toThrow(/DELIVERY_RETENTION_DAYS/);
    expect(() => load("10000000")).toThrow(/DELIVERY_RETENTION_DAYS/);
  });
});
