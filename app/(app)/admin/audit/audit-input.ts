import { AUDIT_ACTIONS, type TAuditAction } from "@/server/data/audit-actions";

/** The audit page's search parameters: a filtered view can be linked to. */
export interface TAuditSearch {
  email?: string;
  action?: string;
  actor?: string;
  subject?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isAction = (value: string | undefined): value is TAuditAction =>
  (AUDIT_ACTIONS as readonly string[]).includes(value ?? "");

/** The procedure's input from the search parameters (anything malformed is dropped, not an error). */
export function auditInput(search: TAuditSearch) {
  return {
    ...(search.email?.trim() ? { email: search.email.trim() } : {}),
    ...(isAction(search.action) ? { action: search.action } : {}),
    ...(search.actor && UUID.test(search.actor) ? { actorId: search.actor } : {}),
    ...(search.subject && UUID.test(search.subject) ? { subjectId: search.subject } : {}),
  };
}
