import type { Status } from "../api";

/** A schema's statuses to choose from, by id (the form's status and the bulk bar's). */
export function StatusSelect({
  id,
  value,
  statuses,
  onChange,
}: {
  id: string;
  value: string;
  statuses: Status[];
  onChange: (id: string) => void;
}) {
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
      {statuses.map((s) => (
        <option key={s.id} value={String(s.id)}>
          {s.name}
        </option>
      ))}
    </select>
  );
}
