/**
 * Server logging. Messages pass through `redact` first, so a connection string or a bearer
 * token inside an error message never reaches a log line.
 */
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/(\/\/[^:/@\s]+:)[^@\s]+@/g, "$1***@"], // user:password@ in URLs
  [/\b(bearer)\s+[\w.~+/=-]+/gi, "$1 ***"],
  [/\b(token|password|secret|key)(["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi, "$1$2***"],
];

export function redact(text: string): string {
  return SECRET_PATTERNS.reduce((result, [pattern, replacement]) => result.replace(pattern, replacement), text);
}

/** Logs an unexpected failure: where it happened, the error's name and redacted message. */
export function logError(where: string, error: unknown): void {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : "";
  console.error(`[oneprofile] ${where}: ${name}${message ? `: ${redact(message)}` : ""}`);
}
