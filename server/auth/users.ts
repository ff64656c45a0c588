/** Portal accounts: sign-up, sign-in (with the rate limit), roles. */
import type { TDb } from "../db";
import { DomainError } from "../domain-error";
import type { Role } from "../generated/prisma/enums";
import { dummyPasswordHash, hashPassword, verifyPassword } from "./password";
import { assertSignInAllowed, clearSignInFailures, recordSignInFailure } from "./rate-limit";
import { ZEmail, type TSignInInput, type TSignUpInput } from "./schemas";

export interface TSessionUser {
  id: string;
  email: string;
  role: Role;
}

const EMAIL_TAKEN = "An account with this email already exists. Sign in instead?";

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

export async function signUp(db: TDb, input: TSignUpInput): Promise<TSessionUser> {
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.user.create({
      data: { email: input.email, passwordHash },
      select: { id: true, email: true, role: true },
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError("CONFLICT", EMAIL_TAKEN);
    throw error;
  }
}

/**
 * Checks email and password. A wrong email and a wrong password give the same message and take
 * the same time. Failures count towards the per-email and per-IP limits.
 */
export async function signIn(db: TDb, input: TSignInInput & { ip: string }): Promise<TSessionUser> {
  const who = { email: input.email, ip: input.ip };
  await assertSignInAllowed(db, who);
  const user = await db.user.findUnique({ where: { email: input.email } });
  const isValid = user
    ? await verifyPassword(user.passwordHash, input.password)
    : (await verifyPassword(await dummyPasswordHash(), input.password)) && false;
  if (!user || !isValid) {
    await recordSignInFailure(db, who);
    throw new DomainError("UNAUTHENTICATED", "Wrong email or password.");
  }
  await clearSignInFailures(db, who);
  return { id: user.id, email: user.email, role: user.role };
}

export async function setRole(db: TDb, rawEmail: string, role: Role): Promise<TSessionUser> {
  const parsed = ZEmail.safeParse(rawEmail);
  if (!parsed.success) throw new DomainError("BAD_INPUT", parsed.error.issues[0]?.message ?? "Invalid email.");
  const email = parsed.data;
  const user = await db.user.findUnique({ where: { email } });
  if (!user) throw new DomainError("NOT_FOUND", `No user with the email ${email}.`);
  return db.user.update({ where: { id: user.id }, data: { role }, select: { id: true, email: true, role: true } });
}

/** For support staff: users whose email contains `query`, newest first (at most 100). */
export function listUsers(db: TDb, query: string) {
  return db.user.findMany({
    where: query ? { email: { contains: query.toLowerCase() } } : {},
    orderBy: { createdAt: "desc" },
    take: 100,
    select: { id: true, email: true, role: true, createdAt: true },
  });
}
