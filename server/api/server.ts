/** tRPC for React Server Components: the same procedures, called in-process. */
import "server-only";
import { headers } from "next/headers";
import { cache } from "react";
import { createCaller } from "./root";
import { createTRPCContext } from "./trpc";

const createContext = cache(async () => createTRPCContext({ headers: new Headers(await headers()) }));

export const api = createCaller(createContext);
