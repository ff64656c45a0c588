import { createTRPCRouter } from "../../trpc";
import { access } from "./access";
import { networks } from "./networks";
import { setNetworkEnabled } from "./set-network-enabled";
import { users } from "./users";

/** Support staff's view (issue 17). Every procedure is an adminProcedure (admin-router.test.ts walks them). */
export const adminRouter = createTRPCRouter({ access, users, networks, setNetworkEnabled });
