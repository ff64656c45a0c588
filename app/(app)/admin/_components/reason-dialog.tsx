"use client";

import { useId, useState, type FormEvent } from "react";
import { Modal } from "../../../_components/modal";
import { Alert, Button } from "../../../_components/ui";

/**
 * Confirms an admin action and asks why: the reason goes into the audit entry written with the
 * action. The dialog stays open, showing the error, when the action fails.
 */
export function ReasonDialog({
  isOpen,
  title,
  description,
  confirmLabel,
  isBusy,
  error,
  onConfirm,
  onClose,
}: {
  isOpen: boolean;
  title: string;
  description: string;
  confirmLabel: string;
  isBusy: boolean;
  error: string | null;
  onConfirm: (reason: string) => void;
  onClose: () => void;
}) {
  const id = useId();
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (reason.trim().length < 3) {
      setProblem("Please say why (at least 3 characters); it goes into the audit log.");
      return;
    }
    setProblem(null);
    onConfirm(reason.trim());
  };
  const shown = problem ?? error;
  return (
    <Modal isOpen={isOpen} onClose={onClose} canClose={!isBusy} title={title}>
      <form onSubmit={submit} className="space-y-3" noValidate>
        <p className="text-sm text-slate-600 dark:text-slate-400">{description}</p>
        <div className="space-y-1">
          <label htmlFor={`${id}-reason`} className="block text-sm font-medium">
            Reason (kept in the audit log)
          </label>
          <textarea
            id={`${id}-reason`}
            name="reason"
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            rows={3}
            maxLength={500}
            required
            aria-invalid={problem ? true : undefined}
            aria-describedby={shown ? `${id}-error` : undefined}
            className="block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm outline-none focus:ring-2 focus:ring-indigo-500 dark:border-slate-700 dark:bg-slate-900"
          />
        </div>
        {shown && (
          <div id={`${id}-error`}>
            <Alert>{shown}</Alert>
          </div>
        )}
        <div className="flex justify-end gap-2">
          <Button type="button" variant="secondary" onClick={onClose} disabled={isBusy}>
            Cancel
          </Button>
          <Button type="submit" isBusy={isBusy}>
            {confirmLabel}
          </Button>
        </div>
      </form>
    </Modal>
  );
}
