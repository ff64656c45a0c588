/**
 * Why a browser was sent to the sign-in page, as a query flag (`/signin?notice=password-changed`)
 * the page turns into a message. Only these known flags are shown, never text from the URL.
 * Pure, no server imports: the settings form builds the URL and the sign-in page reads it.
 */
export const SIGN_IN_NOTICES = {
  "password-changed": "Your password was changed. Sign in with the new one.",
  /** next-auth's own error page sends its errors here (`?error=…`); their codes mean nothing to people. */
  "auth-error": "Signing in could not be completed. Please try again.",
} as const;

export type TSignInNotice = keyof typeof SIGN_IN_NOTICES;

/** The sign-in page's URL with a notice, and the path to go to afterwards. */
export function signInUrl(notice: TSignInNotice, callbackUrl: string): string {
  return `/signin?${new URLSearchParams({ notice, callbackUrl }).toString()}`;
}

/** The message for the `notice` query parameter, or null for none or an unknown one. */
export function signInNotice(value: string | string[] | undefined | null): string | null {
  const key = Array.isArray(value) ? value[0] : value;
  return key && Object.hasOwn(SIGN_IN_NOTICES, key) ? SIGN_IN_NOTICES[key as TSignInNotice] : null;
}
