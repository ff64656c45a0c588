/**
 * The one error type of the domain: a code and a message fit to show a person. The API layer
 * maps codes to tRPC/HTTP codes in one table (server/api/trpc.ts); nothing below it throws
 * TRPCError.
 */
export type TDomainErrorCode =
  "BAD_INPUT" | "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND" | "CONFLICT" | "RATE_LIMITED";

export class DomainError extends Error {
  readonly code: TDomainErrorCode;

  constructor(code: TDomainErrorCode, message: string) {
    super(message);
    this.name = "DomainError";
    this.code = code;
  }
}
