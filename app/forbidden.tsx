import Link from "next/link";

/** Rendered with status 403 by `forbidden()`: a signed-in person on a page that is not for them. */
export default function Forbidden() {
  return (
    <main className="flex min-h-[60vh] flex-col items-center justify-center gap-3 px-4 text-center">
      <p className="text-sm font-semibold text-slate-500">403</p>
      <h1 className="text-2xl font-bold">Administrators only</h1>
      <p className="max-w-md text-slate-600 dark:text-slate-400">
        This page is for OneProfile support staff. If you need help with your account, your profile and deliveries are
        on the pages below.
      </p>
      <Link href="/profile" className="font-medium text-indigo-600 hover:underline dark:text-indigo-400">
        Back to your profile
      </Link>
    </main>
  );
}
