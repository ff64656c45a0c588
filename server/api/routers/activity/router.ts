import { createTRPCRouter } from "../../trpc";
import { list } from "./list";
import { onChange } from "./on-change";
import { retry } from "./retry";

/** What happened to each update: the delivery to every linked account, live. */
export const activityRouter = createTRPCRouter({ list, retry, onChange });
