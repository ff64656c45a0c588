import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { captureLogs, type TLogCapture } from "../test/log-capture";
import { createLogger, logError, logger, redact } from "./log";

describe("redact", () => {
  it.each([
    [
      "connect postgresql://oneprofile:hunter2@db:5432/x failed",
      "connect postgresql://oneprofile:***@db:5432/x failed",
    ],
    ["Authorization: Bearer abc.def", "Authorization: Bearer ***"],
    ['{"password":"hunter2"}', '{"password":"***"}'],
    ["token=abc123&x=1", "token=***&x=1"],
    ["nothing secret here", "nothing secret here"],
  ])("%s", (input, expected) => {
    expect(redact(input)).toBe(expected);
  });
});

/** A logger of our configuration writing into an array. */
function memoryLogger(level: "info" | "error" = "info") {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });
  return { log: createLogger({ level, destination }), lines };
}

const SECRETS = ["hunter2", "s3cr3t-bearer", "p4ssw0rd", "c00kie", "api-key-9", "deep-pw"];

describe("log lines", () => {
  it("are one JSON object per line, with level, time and message", () => {
    const { log, lines } = memoryLogger();
    log.info({ accountId: "a1" }, "Linked");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "info", msg: "Linked", accountId: "a1" });
    expect(JSON.parse(lines[0]!).time).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("show no secret: not in messages, error messages, stacks, nor fields named like one", () => {
    const { log, lines } = memoryLogger();
    const error = Object.assign(new Error("connect postgresql://oneprofile:hunter2@db/x failed"), {
      meta: { password: "p4ssw0rd", hint: "sent Authorization: Bearer s3cr3t-bearer" },
    });
    log.error({ err: error, where: "save" }, "save failed with Bearer s3cr3t-bearer");
    log.warn({
      credentials: { login: "alice", password: "p4ssw0rd" },
      headers: { Authorization: "Bearer s3cr3t-bearer", cookie: "session=c00kie", accept: "text/html" },
      url: "postgresql://oneprofile:hunter2@db/x",
      request: { config: { options: { apiKey: "api-key-9", Password: "deep-pw" } } },
    });
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      for (const secret of SECRETS) expect(line).not.toContain(secret);
    }
    const [failure, warning] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    // Redacted, not dropped: what happened is still there.
    expect(failure).toMatchObject({
      msg: "save failed with Bearer ***",
      where: "save",
      err: { type: "Error", message: "connect postgresql://oneprofile:***@db/x failed", meta: { password: "***" } },
    });
    expect(String((failure!.err as { stack: string }).stack)).toContain("postgresql://oneprofile:***@db/x");
    expect(warning).toMatchObject({
      credentials: "***",
      headers: { Authorization: "***", cookie: "***", accept: "text/html" },
      url: "postgresql://oneprofile:***@db/x",
    });
  });

  it("below the level are not written", () => {
    const { log, lines } = memoryLogger("error");
    log.info("routine");
    log.warn("odd");
    log.error("broken");
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(["broken"]);
  });
});

describe("logError", () => {
  let capture: TLogCapture | undefined;
  afterEach(() => capture?.restore());

  it("writes where and what failed through the process logger, redacted", () => {
    capture = captureLogs("error");
    // The capture works: a line it must see shows up.
    logger.error("capture check");
    expect(capture.lines()).toHaveLength(1);

    logError("webhook qq", new Error("token=abc123 rejected for postgresql://u:hunter2@db/x"));
    const entry = capture.entries()[1]!;
    expect(entry).toMatchObject({
      level: "error",
      where: "webhook qq",
      msg: "webhook qq: Error: token=*** rejected for postgresql://u:***@db/x",
    });
    expect(capture.lines()[1]).not.toContain("abc123");
    expect(capture.lines()[1]).not.toContain("hunter2");
  });

  it("respects the process level", () => {
    capture = captureLogs("silent");
    logError("anything", new Error("boom"));
    expect(capture.lines()).toEqual([]);
  });
});
