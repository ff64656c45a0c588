/** Portal accounts: sign-up, sign-in (with its limits and device cookies), sessions, roles. */
import type { TDb } from "../db";
import { recordAudit } from "../data/audit";
import { DomainError } from "../domain-error";
import { env } from "../env";
import type { Role } from "../generated/prisma/enums";
import { newDeviceCookie, trustedDevice } from "./device-cookie";
import { dummyPasswordHash, hashPassword, verifyPassword } from "./password";
import {
  forgivePasswordChange,
  forgiveSignIn,
  takePasswordChangeAttempt,
  takeSignInAttempt,
  takeSignUpAttempt,
} from "./rate-limit";
import { ZEmail, type TChangePasswordInput, type TSignInInput, type TSignUpInput } from "./schemas";

export interface TSessionUser {
  id: string;
  email: string;
  role: Role;
}

/** A user as a new session records it: the session is valid while `sessionVersion` is current. */
export interface TSignedInUser extends TSessionUser {
  sessionVersion: number;
}

const SESSION_USER = { id: true, email: true, role: true } as const;

/**
 * Sign-up tells a person that their email already has an account: without it they could not
 * tell a typo from a forgotten account. The price (anyone can ask whether an email has an
 * account) is bounded by the per-address sign-up limit.
 */
const EMAIL_TAKEN = "An account with this email already exists. Sign in instead?";

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

/** Creates an account; every attempt counts towards the limit of the address it came from. */
export async function signUp(db: TDb, input: TSignUpInput & { ip: string }): Promise<TSessionUser> {
  await takeSignUpAttempt(db, input.ip);
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.$transaction(async (tx) => {
      const user = await tx.user.create({ data: { email: input.email, passwordHash }, select: SESSION_USER });
      await recordAudit(tx, {
        actorId: user.id,
        subjectId: user.id,
        action: "user.signup",
        targetType: "user",
        targetId: user.id,
      });
      return user;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError("CONFLICT", EMAIL_TAKEN);
    throw error;
  }
}

/** Where a password check comes from: the client's address and the device cookie it presented. */
export interface TClient {
  ip: string;
  /** Checked here: a forged, revoked (older session version) or another account's cookie counts as none. */
  deviceCookie?: string;
}

export type TSignInAttempt = TSignInInput & TClient;

/**
 * Checks email and password. The attempt is counted before the password is checked (see
 * ./rate-limit.ts); a wrong email and a wrong password give the same message and take the same
 * time. Success returns the user and a new device cookie for the browser.
 */
export async function signIn(
  db: TDb,
  attempt: TSignInAttempt,
  secret: string = env.NEXTAUTH_SECRET,
): Promise<{ user: TSignedInUser; deviceCookie: string }> {
  // Looked up first, so a device cookie is trusted only for the account's current session version.
  const user = await db.user.findUnique({ where: { email: attempt.email } });
  const who = { email: attempt.email, ip: attempt.ip, device: trustedDevice(secret, user, attempt.deviceCookie) };
  const hits = await takeSignInAttempt(db, who);
  const isValid = user
    ? await verifyPassword(user.passwordHash, attempt.password)
    : (await verifyPassword(await dummyPasswordHash(), attempt.password)) && false;
  if (!user || !isValid) throw new DomainError("UNAUTHENTICATED", "Wrong email or password.");
  await forgiveSignIn(db, who, hits);
  return {
    user: { id: user.id, email: user.email, role: user.role, sessionVersion: user.sessionVersion },
    deviceCookie: newDeviceCookie(secret, user),
  };
}

/**
 * The user a session belongs to, or null when the session has ended: the user is gone, or
 * signed out everywhere, changed their password or had their role changed since it began.
 */
export async function sessionUser(db: TDb, userId: unknown, sessionVersion: unknown): Promise<TSessionUser | null> {
  if (typeof userId !== "string" || typeof sessionVersion !== "number") return null;
  const user = await db.user.findUnique({ where: { id: userId }, select: { ...SESSION_USER, sessionVersion: true } });
  if (!user || user.sessionVersion !== sessionVersion) return null;
  return { id: user.id, email: user.email, role: user.role };
}

/**
 * Changes the password after checking the current one (a stolen session alone cannot), and ends
 * every session and revokes every device cookie of the user, this browser's too: its sign-in
 * with the new password uses the untrusted clients' budget, which starts again (see
 * forgivePasswordChange), and gets a new device cookie. The check is counted against the budget
 * a sign-in from this client would use, so a stolen session gets no guesses of its own.
 */
export async function changePassword(
  db: TDb,
  userId: string,
  input: TChangePasswordInput & TClient,
  secret: string = env.NEXTAUTH_SECRET,
): Promise<void> {
  const user = await db.user.findUnique({ where: { id: userId } });
  if (!user) throw new DomainError("UNAUTHENTICATED", "Please sign in to continue.");
  const who = { email: user.email, ip: input.ip, device: trustedDevice(secret, user, input.deviceCookie) };
  const hits = await takePasswordChangeAttempt(db, who);
  if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
    throw new DomainError("BAD_INPUT", "That is not your current password.", { field: "currentPassword" });
  }
  const passwordHash = await hashPassword(input.newPassword);
  await db.user.update({ where: { id: userId }, data: { passwordHash, sessionVersion: { increment: 1 } } });
  await forgivePasswordChange(db, who, hits);
}

/** Ends every session of the user (every browser, this one too) and revokes its device cookies. */
export async function signOutEverywhere(db: TDb, userId: string): Promise<void> {
  await db.user.update({ where: { id: userId }, data: { sessionVersion: { increment: 1 } } });
}

/**
 * Changes a user's role; a change ends the user's sessions, which carry the old role (and revokes
 * its device cookies). Audited; `actorId` is null for the support command (`npm run admin`).
 */
export async function setRole(
  db: TDb,
  rawEmail: string,
  role: Role,
  audit: { actorId: string | null; reason: string },
): Promise<TSessionUser> {
  const parsed = ZEmail.safeParse(rawEmail);
  if (!parsed.success) throw new DomainError("BAD_INPUT", parsed.error.issues[0]?.message ?? "Invalid email.");
  const email = parsed.data;
  const user = await db.user.findUnique({ where: { email } });
  if (!user) throw new DomainError("NOT_FOUND", `No user with the email ${email}.`);
  if (user.role === role) return { id: user.id, email: user.email, role: user.role };
  return db.$transaction(async (tx) => {
    const updated = await tx.user.update({
      where: { id: user.id },
      data: { role, sessionVersion: { increment: 1 } },
      select: SESSION_USER,
    });
    await recordAudit(tx, {
      actorId: audit.actorId,
      subjectId: user.id,
      action: "user.role",
      targetType: "user",
      targetId: user.id,
      reason: audit.reason,
      details: { from: user.role, to: role },
    });
    return updated;
  });
}
