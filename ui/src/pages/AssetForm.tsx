import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import {
  type Api,
  ApiError,
  type Asset,
  type AssetType,
  type AttributeDef,
  type Status,
} from "../api";
import { FormError } from "../components/Form";
import { StatusSelect } from "../components/StatusSelect";
import { UserPicker } from "../components/UserPicker";
import type { Formats } from "../format";
import { describe } from "../messages";
import { actorLabel, usePeople } from "../people";

interface Props {
  api: Api;
  schema: string;
  /** The asset to edit; a new one when absent. */
  asset?: Asset;
  onSaved: (asset: Asset) => void;
  onCancel: () => void;
  /** For when someone else saved first; the browser's own format without it. */
  formats?: Formats;
}

/** What an input holds for each attribute: text for most kinds, a flag, or chosen options. */
type Draft = Record<string, string | boolean | string[]>;

const multiValued = (a: AttributeDef) =>
  a.kind === "select" || a.kind === "jira_user"
    ? a.multiple === true
    : a.kind === "reference" && a.max !== 1;

/** The form's value for an attribute's API value. */
export function toDraft(attribute: AttributeDef, value: unknown): string | boolean | string[] {
  if (attribute.kind === "boolean") {
    return value === true;
  }
  if (attribute.kind === "select" && attribute.multiple) {
    return Array.isArray(value) ? value.map(String) : [];
  }
  if (value === null || value === undefined) {
    return "";
  }
  if (Array.isArray(value)) {
    return value.map(String).join(", ");
  }
  if (attribute.kind === "datetime" && typeof value === "string") {
    // `datetime-local` shows the viewer's local time, without a zone.
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) {
      const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
      return local.toISOString().slice(0, 16);
    }
  }
  return String(value);
}

/** The API value for a form value; `undefined` leaves the attribute without a value. */
export function fromDraft(attribute: AttributeDef, draft: string | boolean | string[]): unknown {
  if (typeof draft === "boolean") {
    return draft;
  }
  if (Array.isArray(draft)) {
    return draft.length ? draft : undefined;
  }
  const text = draft.trim();
  if (!text) {
    return undefined;
  }
  switch (attribute.kind) {
    case "integer":
    case "decimal":
    case "status": {
      const number = Number(text);
      return Number.isFinite(number) ? number : text;
    }
    case "datetime":
      return Number.isNaN(new Date(text).getTime()) ? text : new Date(text).toISOString();
    default:
      if (multiValued(attribute)) {
        return text
          .split(",")
          .map((part) => part.trim())
          .filter(Boolean);
      }
      return text;
  }
}

/**
 * Create or edit an asset: one control per attribute of its type, in the attribute's kind. The
 * server validates; its per-field errors go next to the fields. An edit sends the version it
 * read, so a concurrent change is a 409 the form explains: reload theirs, or overwrite it.
 */
export function AssetForm({ api, schema, asset, onSaved, onCancel, formats }: Props) {
  const [types, setTypes] = useState<AssetType[] | null>(null);
  const [statuses, setStatuses] = useState<Status[]>([]);
  const [typeId, setTypeId] = useState<number | null>(asset?.type.id ?? null);
  const [status, setStatus] = useState<string>(asset?.status.id ? String(asset.status.id) : "");
  const [draft, setDraft] = useState<Draft>({});
  const [version, setVersion] = useState(asset?.version ?? 0);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<Asset | null>(null);
  const names = usePeople(api, conflict ? [conflict.updated.by] : []);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    Promise.all([api.types(schema), api.statuses(schema)])
      .then(([t, s]) => {
        setTypes(t);
        setStatuses(s);
        setTypeId((current) => current ?? t.find((x) => !x.isAbstract)?.id ?? null);
        setStatus((current) => current || (s[0] ? String(s[0].id) : ""));
      })
      .catch((e: unknown) => setFormError(`The form could not be opened: ${describe(e)}`));
  }, [api, schema]);

  const type = types?.find((t) => t.id === typeId) ?? null;
  const attributes = type?.attributes ?? [];
  // Values start from the asset being edited; a new asset starts empty.
  useEffect(() => {
    const start: Draft = {};
    for (const attribute of attributes) {
      start[attribute.name] = toDraft(attribute, asset?.attributes[attribute.name]);
    }
    setDraft(start);
  }, [type, asset]);

  const save = async (event: Event | null, at = version) => {
    event?.preventDefault();
    if (!type) {
      return;
    }
    setBusy(true);
    setErrors({});
    setFormError(null);
    setConflict(null);
    const values: Record<string, unknown> = {};
    for (const attribute of attributes) {
      const value = fromDraft(attribute, draft[attribute.name] ?? "");
      if (value !== undefined) {
        values[attribute.name] = value;
      }
    }
    const statusId = status ? Number(status) : undefined;
    try {
      const saved = asset
        ? await api.updateAsset(asset.key, {
            version: at,
            attributes: values,
            ...(statusId ? { status: statusId } : {}),
          })
        : await api.createAsset(schema, {
            type: type.id,
            attributes: values,
            ...(statusId ? { status: statusId } : {}),
          });
      onSaved(saved);
    } catch (error) {
      if (asset && error instanceof ApiError && error.status === 409) {
        setConflict(await api.asset(asset.key).catch(() => null));
      } else if (error instanceof ApiError && error.fields.length > 0) {
        const byField: Record<string, string> = {};
        for (const field of error.fields) {
          const name = field.field.replace(/^attributes\./, "");
          byField[name] = byField[name] ?? field.message;
        }
        setErrors(byField);
        const placed = attributes.some((a) => byField[a.name]);
        if (!placed) {
          setFormError(error.message);
        }
      } else {
        setFormError(describe(error));
      }
    } finally {
      setBusy(false);
    }
  };

  const set = (name: string, value: string | boolean | string[]) =>
    setDraft((d) => ({ ...d, [name]: value }));

  return (
    <form id="amj-asset-form" class="amj-admin-form" noValidate onSubmit={(e) => void save(e)}>
      <h1 id="amj-form-title">{asset ? `Edit ${asset.key}` : "New asset"}</h1>
      {!asset && types && (
        <div class="amj-field">
          <label for="amj-form-type">Type</label>
          <select
            id="amj-form-type"
            value={typeId === null ? "" : String(typeId)}
            onChange={(e) => setTypeId(Number(e.currentTarget.value))}
          >
            {types
              .filter((t) => !t.isAbstract)
              .map((t) => (
                <option key={t.id} value={String(t.id)}>
                  {t.name}
                </option>
              ))}
          </select>
        </div>
      )}
      {statuses.length > 0 && (
        <div class="amj-field">
          <label for="amj-form-status">Status</label>
          <StatusSelect
            id="amj-form-status"
            value={status}
            statuses={statuses}
            onChange={setStatus}
          />
        </div>
      )}
      {attributes.map((attribute, i) => (
        <AttributeField
          key={attribute.id}
          api={api}
          id={`amj-field-${i}`}
          attribute={attribute}
          statuses={statuses}
          value={draft[attribute.name] ?? toDraft(attribute, undefined)}
          error={errors[attribute.name]}
          onChange={(value) => set(attribute.name, value)}
        />
      ))}
      <FormError id="amj-form-error" message={formError} />
      {conflict && (
        <div id="amj-conflict" class="amj-error" role="alert">
          <p>
            {conflict.key} was changed by {actorLabel(conflict.updated.by, names)}
            {conflict.updated.at
              ? ` on ${formats ? formats.dateTime(conflict.updated.at) : new Date(conflict.updated.at).toLocaleString()}`
              : ""}{" "}
            after you opened it. Reload their version (your changes here are discarded), or
            overwrite it with yours.
          </p>
          <button
            type="button"
            id="amj-conflict-reload"
            class="amj-button amj-subtle-button"
            onClick={() => {
              setVersion(conflict.version);
              const fresh: Draft = {};
              for (const attribute of attributes) {
                fresh[attribute.name] = toDraft(attribute, conflict.attributes[attribute.name]);
              }
              setDraft(fresh);
              setConflict(null);
            }}
          >
            Reload theirs
          </button>{" "}
          <button
            type="button"
            id="amj-conflict-overwrite"
            class="amj-button"
            onClick={() => {
              setVersion(conflict.version);
              void save(null, conflict.version);
            }}
          >
            Overwrite with mine
          </button>
        </div>
      )}
      <button type="submit" class="amj-button" disabled={busy || !type}>
        {asset ? "Save" : "Create"}
      </button>{" "}
      <button type="button" class="amj-button amj-subtle-button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

export function AttributeField(props: {
  api: Api;
  id: string;
  attribute: AttributeDef;
  statuses: Status[];
  value: string | boolean | string[];
  error: string | undefined;
  onChange: (value: string | boolean | string[]) => void;
}) {
  const { id, attribute, value, error, onChange } = props;
  const errorId = `${id}-error`;
  const common = {
    id,
    "aria-describedby": errorId,
    "aria-invalid": error !== undefined,
    "aria-required": attribute.required,
  };
  const label = `${attribute.name}${attribute.required ? " (required)" : ""}`;
  let control: JSX.Element;
  if (typeof value === "boolean") {
    control = (
      <input
        {...common}
        type="checkbox"
        checked={value}
        onChange={(e) => onChange(e.currentTarget.checked)}
      />
    );
  } else if (Array.isArray(value)) {
    control = (
      <select
        {...common}
        multiple
        onChange={(e) => onChange([...e.currentTarget.selectedOptions].map((o) => o.value))}
      >
        {(attribute.options ?? []).map((o) => (
          <option key={o} value={o} selected={value.includes(o)}>
            {o}
          </option>
        ))}
      </select>
    );
  } else if (attribute.kind === "select" || attribute.kind === "status") {
    const options =
      attribute.kind === "status"
        ? props.statuses.map((s) => [String(s.id), s.name] as const)
        : (attribute.options ?? []).map((o) => [o, o] as const);
    control = (
      <select {...common} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">(none)</option>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    );
  } else if (attribute.kind === "jira_user") {
    control = (
      <UserPicker
        id={id}
        api={props.api}
        value={value}
        multiple={attribute.multiple === true}
        describedBy={errorId}
        invalid={error !== undefined}
        onChange={onChange}
      />
    );
  } else if (attribute.kind === "textarea") {
    control = (
      <textarea {...common} value={value} onInput={(e) => onChange(e.currentTarget.value)} />
    );
  } else {
    const type = {
      integer: "number",
      decimal: "number",
      date: "date",
      datetime: "datetime-local",
      url: "url",
      email: "email",
    }[attribute.kind as string];
    control = (
      <input
        {...common}
        type={type ?? "text"}
        step={attribute.kind === "decimal" ? "any" : undefined}
        placeholder={multiValued(attribute) ? "Comma-separated" : undefined}
        value={value}
        onInput={(e) => onChange(e.currentTarget.value)}
      />
    );
  }
  return (
    <div class={typeof value === "boolean" ? "amj-field amj-check" : "amj-field"}>
      {typeof value === "boolean" ? (
        <>
          {control}
          <label for={id}>{label}</label>
        </>
      ) : (
        <>
          <label for={id}>{label}</label>
          {control}
        </>
      )}
      <p id={errorId} class="amj-field-message" hidden={error === undefined}>
        {error}
      </p>
    </div>
  );
}
