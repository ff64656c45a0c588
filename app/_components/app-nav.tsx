"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import { useState } from "react";
import { Button, cx } from "./ui";

const LINKS = [
  { href: "/profile", label: "Profile" },
  { href: "/accounts", label: "Accounts" },
  { href: "/activity", label: "Activity" },
  { href: "/settings", label: "Settings" },
];

export function AppNav({ isAdmin }: { isAdmin: boolean }) {
  const pathname = usePathname();
  const links = isAdmin ? [...LINKS, { href: "/admin", label: "Admin" }] : LINKS;
  return (
    <nav aria-label="Main" className="-mx-1 flex gap-1 overflow-x-auto">
      {links.map((link) => {
        const isActive = pathname === link.href || pathname.startsWith(`${link.href}/`);
        return (
          <Link
            key={link.href}
            href={link.href}
            aria-current={isActive ? "page" : undefined}
            className={cx(
              "rounded-lg px-3 py-1.5 text-sm font-medium whitespace-nowrap transition",
              "focus-visible:outline-2 focus-visible:outline-indigo-500",
              isActive
                ? "bg-indigo-50 text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300"
                : "text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-400 dark:hover:bg-slate-800 dark:hover:text-slate-100",
            )}
          >
            {link.label}
          </Link>
        );
      })}
    </nav>
  );
}

export function SignOutButton() {
  const [isBusy, setIsBusy] = useState(false);
  return (
    <Button
      variant="secondary"
      isBusy={isBusy}
      className="px-3 py-1.5"
      onClick={() => {
        setIsBusy(true);
        void signOut({ callbackUrl: "/signin" });
      }}
    >
      Sign out
    </Button>
  );
}
