import { createTRPCRouter } from "../../trpc";
import { changePassword } from "./change-password";
import { signOutEverywhere } from "./sign-out-everywhere";
import { signUp } from "./sign-up";

/** The portal account: sign-up, password change, ending every session (sign-in is next-auth's). */
export const authRouter = createTRPCRouter({ signUp, changePassword, signOutEverywhere });
