import type { AttributeDef, AttributeKind, NewAttribute } from "./api";

/**
 * What the designer's attribute form holds: every rule as the text the admin typed, so that a
 * half-typed number stays on screen and is refused in place rather than silently dropped.
 */
export interface AttributeForm {
  name: string;
  kind: AttributeKind;
  description: string;
  required: boolean;
  unique: boolean;
  /** Text: the pattern a whole value must match. */
  regex: string;
  /** Integer, decimal and reference: the bounds (for references, how many). */
  min: string;
  max: string;
  /** Select: one option per line (an option may hold a comma, "Dell, Inc."). */
  options: string;
  /** Select and Jira user. */
  multiple: boolean;
  /** Reference: the target type's id, and how the link reads. */
  targetType: string;
  referenceType: string;
}

export function emptyForm(targetType: number | undefined): AttributeForm {
  return {
    name: "",
    kind: "text",
    description: "",
    required: false,
    unique: false,
    regex: "",
    min: "",
    max: "",
    options: "",
    multiple: false,
    targetType: targetType === undefined ? "" : String(targetType),
    referenceType: "refers to",
  };
}

/** The form for an attribute as the server described it. */
export function formOf(attribute: AttributeDef): AttributeForm {
  const bound = (value: number | null | undefined) =>
    value === null || value === undefined ? "" : String(value);
  return {
    name: attribute.name,
    kind: attribute.kind,
    description: attribute.description ?? "",
    required: attribute.required,
    unique: attribute.unique,
    regex: attribute.regex ?? "",
    // A reference's `min` is 0 when it has none; the form shows that as empty.
    min: attribute.kind === "reference" && attribute.min === 0 ? "" : bound(attribute.min),
    max: bound(attribute.max),
    options: (attribute.options ?? []).join("\n"),
    multiple: attribute.multiple ?? false,
    targetType: bound(attribute.targetType),
    referenceType: attribute.referenceType ?? "",
  };
}

export type DraftResult =
  | { ok: true; draft: NewAttribute }
  | { ok: false; fields: Record<string, string> };

/**
 * The draft the API takes, with only the rules of the chosen kind. Numbers that do not parse are
 * refused here, by field, under the same names the server uses for its own refusals; everything
 * else (ranges, patterns, names) is the server's to judge.
 */
export function draftOf(form: AttributeForm): DraftResult {
  const fields: Record<string, string> = {};
  const number = (field: "min" | "max", whole: boolean, atLeastZero: boolean) => {
    const text = form[field].trim();
    if (text === "") {
      return null;
    }
    const value = Number(text);
    if (!Number.isFinite(value) || (whole && !Number.isInteger(value))) {
      fields[field] = whole ? "Enter a whole number." : "Enter a number.";
      return null;
    }
    if (atLeastZero && value < 0) {
      fields[field] = "Enter zero or more.";
      return null;
    }
    return value;
  };
  const draft: NewAttribute = {
    name: form.name.trim(),
    kind: form.kind,
    required: form.required,
    unique: form.unique,
    description: form.description.trim(),
  };
  switch (form.kind) {
    case "text":
      draft.regex = form.regex.trim() === "" ? null : form.regex.trim();
      break;
    case "integer":
    case "decimal": {
      const whole = form.kind === "integer";
      draft.min = number("min", whole, false);
      draft.max = number("max", whole, false);
      break;
    }
    case "select":
      draft.options = form.options
        .split("\n")
        .map((o) => o.trim())
        .filter(Boolean);
      draft.multiple = form.multiple;
      break;
    case "jira_user":
      draft.multiple = form.multiple;
      break;
    case "reference": {
      const target = Number(form.targetType);
      if (form.targetType === "" || !Number.isInteger(target)) {
        fields.targetType = "Choose the type it refers to.";
      }
      draft.targetType = target;
      draft.referenceType = form.referenceType.trim();
      draft.min = number("min", true, true) ?? 0;
      draft.max = number("max", true, true);
      break;
    }
    default:
      break;
  }
  return Object.keys(fields).length > 0 ? { ok: false, fields } : { ok: true, draft };
}

/** Which rule fields a kind has, so the form shows only those. */
export function rulesOf(kind: AttributeKind): {
  regex: boolean;
  bounds: "number" | "count" | null;
  options: boolean;
  multiple: boolean;
  reference: boolean;
} {
  return {
    regex: kind === "text",
    bounds:
      kind === "integer" || kind === "decimal" ? "number" : kind === "reference" ? "count" : null,
    options: kind === "select",
    multiple: kind === "select" || kind === "jira_user",
    reference: kind === "reference",
  };
}
