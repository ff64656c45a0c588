"use client";

import { Button } from "./_components/ui";

export default function ErrorPage({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main className="flex min-h-[60vh] flex-col items-center justify-center gap-3 px-4 text-center">
      <h1 className="text-2xl font-bold">Something went wrong</h1>
      <p className="text-slate-600 dark:text-slate-400">We could not show this page. Please try again.</p>
      <Button onClick={reset}>Try again</Button>
    </main>
  );
}
