/** How a profile was fitted to one network: the changes made, and the fields not sent. */
type TField = "avatar" | "displayName" | "signature" | "mood";

export const FIELD_NAMES: Record<TField, string> = {
  avatar: "Avatar",
  displayName: "Display name",
  signature: "Signature",
  mood: "Mood",
};

export function MappingNotes({
  warnings,
  skipped,
}: {
  warnings: Array<{ field: TField; message: string }>;
  skipped: Array<{ field: TField; reason: "unsupported" | "not_synced" }>;
}) {
  return (
    <>
      {warnings.map((warning, index) => (
        <p key={index} className="mt-1 text-xs text-amber-800 dark:text-amber-300">
          ⚠ {warning.message}
        </p>
      ))}
      {skipped.length > 0 && (
        <p className="mt-1 text-xs text-slate-500">
          Not sent:{" "}
          {skipped
            .map(
              (s) => `${FIELD_NAMES[s.field]} (${s.reason === "not_synced" ? "you turned it off" : "not supported"})`,
            )
            .join(", ")}
        </p>
      )}
    </>
  );
}
