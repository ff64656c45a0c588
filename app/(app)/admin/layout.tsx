import { TRPCError } from "@trpc/server";
import { forbidden, unauthorized } from "next/navigation";
import type { ReactNode } from "react";
import { api } from "../../_trpc/server";
import { AdminNav } from "./admin-nav";

/**
 * Every admin page: the admin procedures decide who may see it (a normal user gets the 403 page,
 * with status 403), and each page prefetches its own queries through them.
 */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  try {
    await api.admin.access();
  } catch (error) {
    if (error instanceof TRPCError && error.code === "FORBIDDEN") forbidden();
    if (error instanceof TRPCError && error.code === "UNAUTHORIZED") unauthorized();
    throw error;
  }
  return (
    <div className="space-y-6">
      <AdminNav />
      {children}
    </div>
  );
}
