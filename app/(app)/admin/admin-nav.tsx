"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { cx } from "../../_components/ui";

const TABS = [
  { href: "/admin", label: "Dashboard" },
  { href: "/admin/users", label: "Users" },
  { href: "/admin/deliveries", label: "Delivery log" },
  { href: "/admin/networks", label: "Networks" },
  { href: "/admin/audit", label: "Audit log" },
];

export function AdminNav() {
  const pathname = usePathname();
  return (
    <nav
      aria-label="Admin"
      className="-mx-1 flex gap-1 overflow-x-auto border-b border-slate-200 pb-2 dark:border-slate-800"
    >
      {TABS.map((tab) => {
        const isActive = tab.href === "/admin" ? pathname === "/admin" : pathname.startsWith(tab.href);
        return (
          <Link
            key={tab.href}
            href={tab.href}
            aria-current={isActive ? "page" : undefined}
            className={cx(
              "rounded-lg px-3 py-1.5 text-sm font-medium whitespace-nowrap",
              "focus-visible:outline-2 focus-visible:outline-indigo-500",
              isActive
                ? "bg-slate-900 text-white dark:bg-slate-100 dark:text-slate-900"
                : "text-slate-600 hover:bg-slate-100 dark:text-slate-400 dark:hover:bg-slate-800",
            )}
          >
            {tab.label}
          </Link>
        );
      })}
    </nav>
  );
}
