/** Input schemas shared by the forms (browser) and the server. Pure zod, no server imports. */
import { z } from "zod";

export const PASSWORD_MIN_LENGTH = 10;
/** argon2 hashes anything, but an unbounded input is a cheap denial of service. */
export const PASSWORD_MAX_LENGTH = 256;

export const ZEmail = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, "Enter your email address.")
  .max(254, "That email address is too long.")
  .pipe(z.email("Enter a valid email address, like name@example.com."));

/** A password being chosen (sign-up, change of password). */
export const ZNewPassword = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `Use at least ${PASSWORD_MIN_LENGTH} characters.`)
  .max(PASSWORD_MAX_LENGTH, `Use at most ${PASSWORD_MAX_LENGTH} characters.`);

export const ZSignUpInput = z.object({ email: ZEmail, password: ZNewPassword });
export type TSignUpInput = z.infer<typeof ZSignUpInput>;

export const ZSignInInput = z.object({
  email: ZEmail,
  password: z.string().min(1, "Enter your password.").max(PASSWORD_MAX_LENGTH),
});
export type TSignInInput = z.infer<typeof ZSignInInput>;

export const ZChangePasswordInput = z.object({
  currentPassword: z.string().min(1, "Enter your current password.").max(PASSWORD_MAX_LENGTH),
  newPassword: ZNewPassword,
});
export type TChangePasswordInput = z.infer<typeof ZChangePasswordInput>;
