"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { useDeferredValue, useEffect, useState, type ChangeEvent, type FormEvent } from "react";
import type { AppRouter } from "@/server/api/root";
import { MOODS } from "@/server/sync/moods";
import { graphemeCount, PROFILE_LIMITS } from "@/server/sync/text";
import { describeTRPCError, type TFieldErrors } from "../../_components/form-errors";
import { MappingNotes } from "../../_components/mapping-notes";
import { useTRPC } from "../../_components/trpc-provider";
import { Alert, Button, Card, cx, LoadFailed } from "../../_components/ui";

type TProfile = inferRouterOutputs<AppRouter>["profile"]["get"];
type TPreview = inferRouterOutputs<AppRouter>["profile"]["preview"][number];
type TMoodId = (typeof MOODS)[number]["id"];
interface TDraft {
  displayName: string;
  signature: string;
  mood: TMoodId | "";
  moodText: string;
}

const MAX_AVATAR_BYTES = 5 * 1024 * 1024;

function draftOf(profile: TProfile): TDraft {
  return {
    displayName: profile.displayName ?? "",
    signature: profile.signature ?? "",
    mood: (profile.mood as TMoodId | null) ?? "",
    moodText: profile.moodText ?? "",
  };
}

function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",")[1] ?? "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

const inputClass =
  "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm outline-none focus:ring-2 focus:ring-indigo-500 dark:border-slate-700 dark:bg-slate-900";

export function ProfileEditor() {
  const trpc = useTRPC();
  const profile = useQuery(trpc.profile.get.queryOptions());
  // Kept here: the form below starts afresh from each saved version, the message outlives it.
  const [notice, setNotice] = useState<string | null>(null);
  if (profile.isPending) {
    return (
      <div role="status" className="h-96 animate-pulse rounded-2xl bg-slate-200 dark:bg-slate-800">
        <span className="sr-only">Loading your profile…</span>
      </div>
    );
  }
  if (profile.isError) {
    return <LoadFailed message={profile.error.message} onRetry={() => void profile.refetch()} />;
  }
  return <EditorForm key={profile.data.version} profile={profile.data} notice={notice} setNotice={setNotice} />;
}

function EditorForm({
  profile,
  notice,
  setNotice,
}: {
  profile: TProfile;
  notice: string | null;
  setNotice: (notice: string | null) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<TDraft>(() => draftOf(profile));
  const [avatar, setAvatar] = useState<{ base64: string; url: string } | null | undefined>(undefined);
  const [errors, setErrors] = useState<TFieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const update = useMutation(trpc.profile.update.mutationOptions());
  const deferred = useDeferredValue(draft);
  const preview = useQuery(
    trpc.profile.preview.queryOptions({
      displayName: deferred.displayName.trim() || null,
      signature: deferred.signature,
      mood: deferred.mood || null,
      moodText: deferred.moodText,
    }),
  );
  useEffect(() => () => (avatar?.url ? URL.revokeObjectURL(avatar.url) : undefined), [avatar]);

  const set =
    (field: keyof TDraft) => (event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) => {
      setNotice(null);
      setDraft((current) => ({ ...current, [field]: event.target.value }));
    };

  async function onAvatar(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (!file) return;
    if (!["image/png", "image/jpeg", "image/gif", "image/webp"].includes(file.type)) {
      setErrors((e) => ({ ...e, avatar: "Use a PNG, JPEG, GIF or WebP image." }));
      return;
    }
    if (file.size > MAX_AVATAR_BYTES) {
      setErrors((e) => ({ ...e, avatar: "Avatars can be at most 5 MB." }));
      return;
    }
    setErrors((e) => ({ ...e, avatar: undefined }));
    setAvatar({ base64: await readAsBase64(file), url: URL.createObjectURL(file) });
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFormError(null);
    setNotice(null);
    const original = draftOf(profile);
    const changes: Record<string, unknown> = {};
    if (draft.displayName !== original.displayName) changes.displayName = draft.displayName.trim() || null;
    if (draft.signature !== original.signature) changes.signature = draft.signature;
    if (draft.mood !== original.mood) changes.mood = draft.mood || null;
    if (draft.moodText !== original.moodText) changes.moodText = draft.moodText;
    if (avatar !== undefined) changes.avatarBase64 = avatar?.base64 ?? null;
    if (Object.keys(changes).length === 0) {
      setNotice("Nothing changed.");
      return;
    }
    try {
      const result = await update.mutateAsync(changes);
      setErrors({});
      setNotice(
        result && result.deliveries > 0
          ? `Saved. Sending to ${result.deliveries} linked account${result.deliveries === 1 ? "" : "s"}.`
          : "Saved.",
      );
      await queryClient.invalidateQueries({ queryKey: trpc.activity.list.queryKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.profile.get.queryKey() });
    } catch (error) {
      const { fields, message } = describeTRPCError(error);
      if (Object.keys(fields).length > 0) setErrors(fields);
      else setFormError(message);
    }
  }

  const avatarUrl =
    avatar === undefined
      ? profile.avatarSha256
        ? `/api/avatars/${profile.avatarSha256}`
        : null
      : (avatar?.url ?? null);

  return (
    <div className="grid gap-6 lg:grid-cols-[3fr_2fr]">
      <Card>
        <form onSubmit={onSubmit} noValidate className="space-y-5" aria-label="Profile">
          {formError && <Alert>{formError}</Alert>}
          <div className="flex items-center gap-4">
            {avatarUrl ? (
              // eslint-disable-next-line @next/next/no-img-element -- a user's own upload or blob URL
              <img
                src={avatarUrl}
                alt="Your avatar"
                className="size-20 rounded-2xl object-cover"
                data-testid="avatar-preview"
              />
            ) : (
              <div
                className="flex size-20 items-center justify-center rounded-2xl bg-slate-200 text-2xl dark:bg-slate-800"
                aria-hidden
              >
                🙂
              </div>
            )}
            <div className="space-y-1">
              <label htmlFor="avatar" className="block text-sm font-medium">
                Avatar
              </label>
              <input
                id="avatar"
                type="file"
                accept="image/png,image/jpeg,image/gif,image/webp"
                onChange={onAvatar}
                className="text-sm"
              />
              {avatarUrl && (
                <button
                  type="button"
                  className="text-sm text-red-600 hover:underline dark:text-red-400"
                  onClick={() => setAvatar(null)}
                >
                  Remove avatar
                </button>
              )}
              {errors.avatar && <p className="text-sm text-red-600 dark:text-red-400">{errors.avatar}</p>}
            </div>
          </div>
          <Field
            id="displayName"
            label="Display name"
            error={errors.displayName}
            count={{ value: draft.displayName.trim(), max: PROFILE_LIMITS.displayName }}
          >
            <input id="displayName" value={draft.displayName} onChange={set("displayName")} className={inputClass} />
          </Field>
          <Field
            id="signature"
            label="Signature"
            error={errors.signature}
            hint="Your status line, one line of text. Each network shows as much as it can."
            count={{ value: draft.signature, max: PROFILE_LIMITS.signature }}
          >
            <textarea
              id="signature"
              value={draft.signature}
              onChange={set("signature")}
              // One line on every network: Enter does not start a new one (the box only wraps).
              onKeyDown={(event) => event.key === "Enter" && event.preventDefault()}
              className={inputClass}
              rows={3}
            />
          </Field>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field id="mood" label="Mood" error={errors.mood}>
              <select id="mood" value={draft.mood} onChange={set("mood")} className={inputClass}>
                <option value="">No mood</option>
                {MOODS.map((mood) => (
                  <option key={mood.id} value={mood.id}>
                    {mood.emoji} {mood.label}
                  </option>
                ))}
              </select>
            </Field>
            <Field
              id="moodText"
              label="Mood text"
              error={errors.moodText}
              count={{ value: draft.moodText, max: PROFILE_LIMITS.moodText }}
            >
              <input id="moodText" value={draft.moodText} onChange={set("moodText")} className={inputClass} />
            </Field>
          </div>
          <div className="flex flex-wrap items-center gap-3">
            <Button type="submit" isBusy={update.isPending}>
              Save and sync
            </Button>
            {notice && (
              <p role="status" className="text-sm text-slate-600 dark:text-slate-300">
                {notice}{" "}
                {notice.startsWith("Saved. Sending") && (
                  <Link href="/activity" className="font-medium text-indigo-600 hover:underline dark:text-indigo-400">
                    Watch it on Activity
                  </Link>
                )}
              </p>
            )}
          </div>
        </form>
      </Card>
      <PreviewPanel preview={preview.data} isLoading={preview.isPending} error={preview.error?.message} />
    </div>
  );
}

function Field({
  id,
  label,
  hint,
  error,
  count,
  children,
}: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  /** Characters as the server counts them (graphemes: an emoji is one), against the limit. */
  count?: { value: string; max: number };
  children: React.ReactNode;
}) {
  const used = count ? graphemeCount(count.value) : 0;
  return (
    <div className="space-y-1">
      <div className="flex items-baseline justify-between gap-2">
        <label htmlFor={id} className="block text-sm font-medium">
          {label}
        </label>
        {count && (
          <span
            className={cx(
              "text-xs tabular-nums",
              used > count.max ? "text-red-600 dark:text-red-400" : "text-slate-500",
            )}
            data-testid={`${id}-count`}
          >
            {used}/{count.max}
          </span>
        )}
      </div>
      {children}
      {hint && !error && <p className="text-xs text-slate-500 dark:text-slate-400">{hint}</p>}
      {error && <p className="text-sm text-red-600 dark:text-red-400">{error}</p>}
    </div>
  );
}

function PreviewPanel({ preview, isLoading, error }: { preview?: TPreview[]; isLoading: boolean; error?: string }) {
  return (
    <section aria-labelledby="preview-heading" className="space-y-3">
      <h2 id="preview-heading" className="text-sm font-semibold tracking-wide text-slate-500 uppercase">
        What each account gets
      </h2>
      {isLoading ? (
        <p className="text-sm text-slate-500">Working out the preview…</p>
      ) : error ? (
        <Alert>{error}</Alert>
      ) : !preview || preview.length === 0 ? (
        <Card className="p-4 text-sm text-slate-600 dark:text-slate-400">
          No linked accounts yet.{" "}
          <Link href="/accounts" className="font-medium text-indigo-600 hover:underline dark:text-indigo-400">
            Link one
          </Link>{" "}
          to see what it would receive.
        </Card>
      ) : (
        preview.map((item) => (
          <Card key={item.accountId} className={cx("space-y-2 p-4", item.status !== "active" && "opacity-60")}>
            <div className="flex items-baseline gap-2" data-testid={`preview-${item.networkId}`}>
              <h3 className="font-semibold">{item.networkName}</h3>
              <span className="font-mono text-xs text-slate-500">{item.login}</span>
              {item.status !== "active" && (
                <span className="text-xs">({item.status === "disabled" ? "disabled" : "needs re-auth"})</span>
              )}
            </div>
            <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
              {item.settings.displayName !== undefined && (
                <>
                  <dt className="text-slate-500">Name</dt>
                  <dd>{item.settings.displayName}</dd>
                </>
              )}
              {item.settings.signature !== undefined && (
                <>
                  <dt className="text-slate-500">Signature</dt>
                  <dd className="break-words">{item.settings.signature || "—"}</dd>
                </>
              )}
              {item.settings.mood !== undefined && (
                <>
                  <dt className="text-slate-500">Mood</dt>
                  <dd>
                    {item.settings.mood ?? "—"}
                    {item.settings.moodText ? ` · ${item.settings.moodText}` : ""}
                  </dd>
                </>
              )}
              {item.avatar && (
                <>
                  <dt className="text-slate-500">Avatar</dt>
                  <dd>
                    {item.avatar.formats.join("/").toUpperCase()},{" "}
                    {item.avatar.minPx === item.avatar.maxPx ? `${item.avatar.maxPx}` : `up to ${item.avatar.maxPx}`} px
                    {item.avatar.isSquare ? ", square" : ""}, ≤ {Math.round(item.avatar.maxBytes / 1024)} KB
                  </dd>
                </>
              )}
            </dl>
            <MappingNotes warnings={item.warnings} skipped={item.skipped} />
          </Card>
        ))
      )}
    </section>
  );
}
