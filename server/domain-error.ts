/**
 * The one error type of the domain: a code and a message fit to show a person (and, for input
 * errors, the form field it belongs to). The API layer maps codes to tRPC/HTTP codes in one
 * table (server/api/trpc.ts); nothing below it throws TRPCError.
 */
export type TDomainErrorCode =
  | "BAD_INPUT"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "RATE_LIMITED"
  /** The action is valid but not possible now (for example: the network is switched off). */
  | "PRECONDITION_FAILED"
  /** The vendor answered and refused (wrong credentials, a value it does not accept). */
  | "VENDOR_REJECTED"
  /** The vendor did not answer or failed; trying again later may work. */
  | "VENDOR_UNAVAILABLE";

export class DomainError extends Error {
  readonly code: TDomainErrorCode;
  /** The input field the message is about, when there is one. */
  readonly field?: string;

  constructor(code: TDomainErrorCode, message: string, options?: { field?: string }) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.field = options?.field;
  }
}
