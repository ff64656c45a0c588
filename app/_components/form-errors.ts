import { TRPCClientError } from "@trpc/client";
import { z } from "zod";
import type { AppRouter } from "@/server/api/root";

export type TFieldErrors = Partial<Record<string, string>>;

/** The first message per field, from a failed zod parse in the browser. */
export function fieldErrorsOf(error: z.ZodError): TFieldErrors {
  const all = z.flattenError(error).fieldErrors as Record<string, string[] | undefined>;
  return Object.fromEntries(Object.entries(all).map(([field, messages]) => [field, messages?.[0]]));
}

/** What a failed tRPC call means for a form: per-field messages, or one message for the form. */
export function describeTRPCError(error: unknown): { code?: string; fields: TFieldErrors; message: string } {
  if (error instanceof TRPCClientError) {
    const data = (error as TRPCClientError<AppRouter>).data;
    const fields = Object.fromEntries(
      Object.entries(data?.fieldErrors ?? {}).map(([field, messages]) => [field, messages?.[0]]),
    );
    return { code: data?.code, fields, message: error.message };
  }
  return { fields: {}, message: "Could not reach OneProfile. Check your connection and try again." };
}
