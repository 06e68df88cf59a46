import type { StatusCategory } from "../api";

/** A status in Jira's lozenge style; the colour follows the status's category. */
export function Lozenge({
  name,
  category,
}: {
  name: string | null;
  category: StatusCategory | null;
}) {
  return <span class={`amj-lozenge amj-status-${category ?? "none"}`}>{name ?? "No status"}</span>;
}
