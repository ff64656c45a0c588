import { createTRPCRouter } from "../../trpc";
import { access } from "./access";
import { audit } from "./audit";
import { dashboard } from "./dashboard";
import { deliveries } from "./deliveries";
import { networks } from "./networks";
import { resendProfile } from "./resend-profile";
import { retryDelivery } from "./retry-delivery";
import { retryFailed } from "./retry-failed";
import { setAccountPaused } from "./set-account-paused";
import { setNetworkEnabled } from "./set-network-enabled";
import { user } from "./user";
import { users } from "./users";

/** Support staff's view (issue 17). Every procedure is an adminProcedure (admin-router.test.ts walks them). */
export const adminRouter = createTRPCRouter({
  access,
  dashboard,
  users,
  user,
  deliveries,
  retryDelivery,
  retryFailed,
  setAccountPaused,
  resendProfile,
  audit,
  networks,
  setNetworkEnabled,
});
