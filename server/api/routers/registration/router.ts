import { createTRPCRouter } from "../../trpc";
import { accounts } from "./accounts";
import { link } from "./link";
import { networks } from "./networks";
import { relink } from "./relink";
import { setFields } from "./set-fields";
import { unlink } from "./unlink";

/** The registration server (patent claims 2, 4, 7): networks, linking, the application list. */
export const registrationRouter = createTRPCRouter({ networks, accounts, link, relink, unlink, setFields });
