import Link from "next/link";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { getServerAuthSession } from "@/server/auth/options";
import { AppNav, SignOutButton } from "../_components/app-nav";

/** The signed-in shell. The proxy redirects with a callback; this check is the authoritative one. */
export default async function AppLayout({ children }: { children: ReactNode }) {
  const session = await getServerAuthSession();
  if (!session) redirect("/signin");
  return (
    <div className="min-h-screen">
      <header className="sticky top-0 z-10 border-b border-slate-200 bg-white/90 backdrop-blur dark:border-slate-800 dark:bg-slate-900/90">
        <div className="mx-auto flex max-w-5xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
          <Link href="/profile" className="text-lg font-bold tracking-tight">
            One<span className="text-indigo-600 dark:text-indigo-400">Profile</span>
          </Link>
          <div className="order-last w-full sm:order-none sm:w-auto sm:flex-1">
            <AppNav isAdmin={session.user.role === "ADMIN"} />
          </div>
          <div className="ml-auto flex items-center gap-3 sm:ml-0">
            <span className="max-w-48 truncate text-sm text-slate-600 dark:text-slate-400" data-testid="current-user">
              {session.user.email}
            </span>
            <SignOutButton />
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-5xl px-4 py-8">{children}</main>
    </div>
  );
}
