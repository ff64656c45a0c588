/**
 * Server logging: one pino logger writing JSON lines on stdout, its level from `LOG_LEVEL`.
 *
 * Two layers keep secrets out of a line:
 * - every string that reaches it (the message, each field's text, an error's message and stack)
 *   passes through `redact`, so a connection string or a bearer token inside an error message
 *   never shows;
 * - fields named like a secret (password, token, authorization, cookie, credentials, key...) are
 *   replaced whole by pino's own `redact`, whatever their value looks like.
 */
import pino, { type DestinationStream, type Level, type LevelWithSilent, type Logger } from "pino";
import { env } from "./env";

const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/(\/\/[^:/@\s]+:)[^@\s]+@/g, "$1***@"], // user:password@ in URLs
  [/\b(bearer)\s+[\w.~+/=-]+/gi, "$1 ***"],
  [/\b(token|password|secret|key)(["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi, "$1$2***"],
];

export function redact(text: string): string {
  return SECRET_PATTERNS.reduce((result, [pattern, replacement]) => result.replace(pattern, replacement), text);
}

/** Field names whose values never reach a line (pino matches names exactly, so common spellings). */
const SECRET_KEYS = [
  "password",
  "passwd",
  "passwordHash",
  "token",
  "accessToken",
  "refreshToken",
  "sessionToken",
  "secret",
  "clientSecret",
  "authorization",
  "Authorization",
  "cookie",
  "Cookie",
  "set-cookie",
  "credentials",
  "key",
  "apiKey",
  "privateKey",
  "x-sandbox-signature",
];
const SECRET_KEY_NAMES = new Set(SECRET_KEYS.map((key) => key.toLowerCase()));
const CENSOR = "***";
const isIdentifier = (key: string) => /^[A-Za-z_$][\w$]*$/.test(key);
/** Each name at the top level and up to two levels down (`err.meta.password`, `req.headers.cookie`). */
export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => {
  const tail = isIdentifier(key) ? key : `["${key}"]`;
  const join = (prefix: string) => (isIdentifier(key) ? `${prefix}.${tail}` : `${prefix}${tail}`);
  return [tail, join("*"), join("*.*")];
});

/** Nesting past which a logged object's text is not searched (a log line is not a data dump). */
const MAX_DEPTH = 6;

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** The value with `redact` applied to every string in it (plain objects and arrays). */
function redactValues(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redact(value);
  if (value === null || typeof value !== "object" || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => redactValues(item, depth + 1));
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      // Deeper than pino's paths reach, and in any letter case.
      SECRET_KEY_NAMES.has(key.toLowerCase()) ? CENSOR : redactValues(item, depth + 1),
    ]),
  );
}

/** pino's error serializer (type, message, stack, cause, own fields), then `redact` on all of it. */
function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return redactValues(typeof error === "object" ? error : String(error));
  return redactValues({ ...pino.stdSerializers.err(error) });
}

/** A logger with OneProfile's redaction; the process's one is `logger`. Exported for tests. */
export function createLogger(options: { level: LevelWithSilent; destination: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        // Runs before the serializers below: the fields' text (an Error is left to `err`).
        log: (object) => redactValues(object) as Record<string, unknown>,
      },
      serializers: { err: serializeError, msg: (message: unknown) => redactValues(message) },
      redact: { paths: REDACT_PATHS, censor: CENSOR },
    },
    options.destination,
  );
}

// One logger per process, also across Next.js dev hot reloads.
const globalForLog = globalThis as unknown as { oneprofileLogger?: Logger };

function processLogger(): Logger {
  // stdout (not a pino.destination on fd 1): synchronous on Linux for files and pipes, and a
  // test can capture it.
  return (globalForLog.oneprofileLogger ??= createLogger({ level: env.LOG_LEVEL, destination: process.stdout }));
}

/**
 * The process's logger, created on first use (so `next build` can import modules without a
 * configuration). Log objects as the first argument: `logger.info({ accountId }, "Linked")`.
 */
export const logger: Logger = new Proxy({} as Logger, {
  get(_target, key) {
    const instance = processLogger();
    const value = Reflect.get(instance, key, instance) as unknown;
    return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(instance) : value;
  },
  set(_target, key, value) {
    return Reflect.set(processLogger(), key, value);
  },
});

/** Logs an unexpected failure: where it happened, the error's name and message, and its stack. */
export function logError(where: string, error: unknown, level: Level = "error"): void {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : "";
  logger[level]({ where, err: error }, `${where}: ${name}${message ? `: ${message}` : ""}`);
}
