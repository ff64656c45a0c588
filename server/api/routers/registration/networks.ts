import { z } from "zod";
import { listNetworks } from "../../../registration/networks";
import { protectedProcedure } from "../../trpc";
import { ZNetworkView } from "./schemas";

/** Supported networks with their capabilities and login forms. */
export const networks = protectedProcedure.output(z.array(ZNetworkView)).query(({ ctx }) => listNetworks(ctx.db));
