import Link from "next/link";
import type { ReactNode } from "react";

export default function AuthLayout({ children }: { children: ReactNode }) {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center px-4 py-12">
      <Link href="/" className="mb-8 text-2xl font-bold tracking-tight">
        One<span className="text-indigo-600 dark:text-indigo-400">Profile</span>
      </Link>
      <div className="w-full max-w-sm rounded-2xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
        {children}
      </div>
      <p className="mt-6 max-w-sm text-center text-sm text-slate-500 dark:text-slate-400">
        Change your avatar, nickname, signature or mood once — every linked account shows it.
      </p>
    </main>
  );
}
