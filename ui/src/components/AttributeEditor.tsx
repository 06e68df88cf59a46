import { useEffect, useRef, useState } from "preact/hooks";
import type { Api, AssetType, AttributeDef, AttributeKind } from "../api";
import { type AttributeForm, draftOf, emptyForm, formOf, rulesOf } from "../attributes";
import { Field, FormError, useSubmit } from "./Form";

export const KINDS: [AttributeKind, string][] = [
  ["text", "Text"],
  ["textarea", "Long text"],
  ["integer", "Integer"],
  ["decimal", "Decimal"],
  ["boolean", "Yes/no"],
  ["date", "Date"],
  ["datetime", "Date and time"],
  ["url", "URL"],
  ["email", "E-mail"],
  ["ip_address", "IP address"],
  ["select", "Select"],
  ["jira_user", "Jira user"],
  ["jira_project", "Jira project"],
  ["reference", "Reference to an asset"],
  ["status", "Status"],
];

interface Props {
  api: Api;
  schema: string;
  /** Where a new attribute goes. */
  type: AssetType;
  /** Every type of the schema in tree order, for a reference's target. */
  tree: { type: AssetType; depth: number }[];
  /** The attribute being edited; a new one when absent. */
  attribute?: AttributeDef;
  onSaved: (message: string) => Promise<void>;
  onCancel?: () => void;
}

/**
 * One form for a new attribute and for changing one: its kind's rules only (a pattern for text,
 * bounds for numbers, options, how a reference reads and how many it may hold). A tightened rule
 * applies to new writes; values written before it are counted on the dashboard's data quality.
 */
export function AttributeEditor({ api, schema, type, tree, attribute, onSaved, onCancel }: Props) {
  const editing = attribute !== undefined;
  const prefix = editing ? "amj-edit-attr" : "amj-attr";
  const [form, setForm] = useState<AttributeForm>(() =>
    attribute ? formOf(attribute) : emptyForm(tree[0]?.type.id),
  );
  const [local, setLocal] = useState<Record<string, string>>({});
  const nameRef = useRef<HTMLInputElement>(null);
  // Opening an attribute to edit takes the keyboard to it; the new-attribute form stays put.
  useEffect(() => {
    if (editing) {
      nameRef.current?.focus();
    }
  }, []);
  const set = <K extends keyof AttributeForm>(key: K, value: AttributeForm[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const submit = useSubmit(async () => {
    const result = draftOf(form);
    if (!result.ok) {
      setLocal(result.fields);
      return;
    }
    setLocal({});
    if (attribute) {
      await api.updateAttribute(schema, attribute.id, result.draft);
      await onSaved(`Saved the attribute ${result.draft.name}.`);
    } else {
      await api.createAttribute(schema, type.id, result.draft);
      setForm(emptyForm(tree[0]?.type.id));
      await onSaved(`Added the attribute ${result.draft.name}.`);
    }
  });
  const errors = { ...submit.errors.fields, ...local };
  const rules = rulesOf(form.kind);
  const text =
    (field: "name" | "description" | "regex" | "min" | "max" | "referenceType") =>
    (p: { id: string; "aria-describedby": string; "aria-invalid": boolean }) => (
      <input
        {...p}
        type="text"
        value={form[field]}
        inputMode={field === "min" || field === "max" ? "decimal" : undefined}
        onInput={(e) => set(field, e.currentTarget.value)}
      />
    );
  const check = (field: "required" | "unique" | "multiple", label: string) => (
    <div class="amj-field amj-check">
      <input
        type="checkbox"
        id={`${prefix}-${field}`}
        checked={form[field]}
        onChange={(e) => set(field, e.currentTarget.checked)}
      />
      <label for={`${prefix}-${field}`}>{label}</label>
    </div>
  );
  const heading = editing ? `Edit ${attribute.name}` : "New attribute";
  return (
    <form
      id={`${prefix}-form`}
      class="amj-admin-form"
      aria-label={heading}
      noValidate
      onSubmit={submit.submit}
      onKeyDown={(e) => {
        if (e.key === "Escape" && onCancel) {
          e.preventDefault();
          onCancel();
        }
      }}
    >
      <h3>{heading}</h3>
      <Field id={`${prefix}-name`} label="Name" error={errors.name}>
        {(p) => (
          <input
            {...p}
            type="text"
            value={form.name}
            ref={nameRef}
            onInput={(e) => set("name", e.currentTarget.value)}
          />
        )}
      </Field>
      <Field id={`${prefix}-kind`} label="Kind" error={errors.kind}>
        {(p) => (
          <select
            {...p}
            value={form.kind}
            onChange={(e) => set("kind", e.currentTarget.value as AttributeKind)}
          >
            {KINDS.map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        )}
      </Field>
      {rules.regex && (
        <Field
          id={`${prefix}-regex`}
          label="Values must match (regular expression, optional)"
          error={errors.regex}
        >
          {text("regex")}
        </Field>
      )}
      {rules.options && (
        <Field id={`${prefix}-options`} label="Options (one per line)" error={errors.options}>
          {(p) => (
            <textarea
              {...p}
              rows={4}
              value={form.options}
              onInput={(e) => set("options", e.currentTarget.value)}
            />
          )}
        </Field>
      )}
      {rules.reference && (
        <>
          <Field id={`${prefix}-target`} label="Refers to assets of type" error={errors.targetType}>
            {(p) => (
              <select
                {...p}
                value={form.targetType}
                onChange={(e) => set("targetType", e.currentTarget.value)}
              >
                {tree.map(({ type: t }) => (
                  <option key={t.id} value={String(t.id)}>
                    {t.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            id={`${prefix}-reftype`}
            label="Reference type (how it reads)"
            error={errors.referenceType}
          >
            {text("referenceType")}
          </Field>
        </>
      )}
      {rules.bounds && (
        <div class="amj-field-row">
          <Field
            id={`${prefix}-min`}
            label={rules.bounds === "count" ? "At least (when set)" : "Minimum"}
            error={errors.min}
          >
            {text("min")}
          </Field>
          <Field
            id={`${prefix}-max`}
            label={rules.bounds === "count" ? "At most (empty: any number)" : "Maximum"}
            error={errors.max}
          >
            {text("max")}
          </Field>
        </div>
      )}
      {rules.multiple && check("multiple", "More than one value")}
      <Field id={`${prefix}-description`} label="Description" error={errors.description}>
        {text("description")}
      </Field>
      {check("required", "Required")}
      {check("unique", "Unique")}
      <FormError id={`${prefix}-form-error`} message={submit.errors.form} />
      <div class="amj-form-actions">
        <button type="submit" class="amj-button" disabled={submit.busy}>
          {editing ? "Save attribute" : "Add attribute"}
        </button>
        {onCancel && (
          <button type="button" class="amj-button amj-subtle-button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
