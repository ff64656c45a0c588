import Link from "next/link";

export default function NotFound() {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-3 px-4 text-center">
      <h1 className="text-2xl font-bold">Page not found</h1>
      <p className="text-slate-600 dark:text-slate-400">The page you asked for does not exist.</p>
      <Link href="/" className="font-medium text-indigo-600 hover:underline dark:text-indigo-400">
        Back to OneProfile
      </Link>
    </main>
  );
}
