import { createTRPCRouter } from "../../trpc";
import { get } from "./get";
import { preview } from "./preview";
import { update } from "./update";

/** The unified profile (patent: personal settings) and its updates from the portal. */
export const profileRouter = createTRPCRouter({ get, update, preview });
