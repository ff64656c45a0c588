import { z } from "zod";
import { listNetworks } from "../../../registration/networks";
import { adminProcedure } from "../../trpc";
import { ZNetworkView } from "../registration/schemas";

export const networks = adminProcedure.output(z.array(ZNetworkView)).query(({ ctx }) => listNetworks(ctx.db));
