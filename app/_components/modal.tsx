"use client";

import { useEffect, useId, useRef, type ReactNode } from "react";

/**
 * A modal dialog on the native <dialog> element: focus moves into it and is trapped, Escape
 * closes it, and focus returns to the opener afterwards — all by the browser. While `canClose`
 * is false (an action in it is under way) neither Escape nor the backdrop closes it, so its
 * outcome (an error, say) is shown where the person is looking.
 */
export function Modal({
  isOpen,
  onClose,
  canClose = true,
  title,
  children,
}: {
  isOpen: boolean;
  onClose: () => void;
  canClose?: boolean;
  title: string;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (isOpen && !dialog.open) dialog.showModal();
    if (!isOpen && dialog.open) dialog.close();
  }, [isOpen]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(event) => {
        if (!canClose) event.preventDefault();
      }}
      onClose={() => {
        if (canClose || !isOpen) onClose();
        // Browsers let a repeated Escape through a refused cancel (close watchers): open it again,
        // so the dialog and the state that says it is open never disagree.
        else ref.current?.showModal();
      }}
      onClick={(event) => {
        // A click on the backdrop (the dialog element itself) closes it.
        if (event.target === ref.current && canClose) onClose();
      }}
      className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-2xl border border-slate-200 bg-white p-0 text-slate-900 shadow-xl backdrop:bg-slate-950/50 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-100"
    >
      {isOpen && (
        <div className="p-6">
          <h2 id={titleId} className="mb-4 text-lg font-semibold">
            {title}
          </h2>
          {children}
        </div>
      )}
    </dialog>
  );
}
