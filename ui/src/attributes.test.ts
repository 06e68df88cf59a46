import { describe, expect, it } from "vitest";
import type { AttributeDef } from "./api";
import { draftOf, emptyForm, formOf, rulesOf } from "./attributes";

const reference: AttributeDef = {
  id: 7,
  typeId: 2,
  name: "Installed on",
  kind: "reference",
  required: false,
  unique: false,
  targetType: 3,
  referenceType: "installed on",
  min: 0,
  max: 1,
  description: "Where it runs",
};

describe("formOf and draftOf", () => {
  it("round-trips a reference with its reference type and count bounds", () => {
    const form = formOf(reference);
    expect(form.min).toBe("");
    expect(form.max).toBe("1");
    expect(form.targetType).toBe("3");
    const result = draftOf({ ...form, referenceType: "  runs on ", max: "" });
    expect(result).toEqual({
      ok: true,
      draft: {
        name: "Installed on",
        kind: "reference",
        required: false,
        unique: false,
        description: "Where it runs",
        targetType: 3,
        referenceType: "runs on",
        min: 0,
        max: null,
      },
    });
  });

  it("sends only the chosen kind's rules", () => {
    const form = { ...formOf(reference), kind: "integer" as const, min: "-5", max: "10" };
    const result = draftOf(form);
    expect(result.ok && result.draft).toEqual({
      name: "Installed on",
      kind: "integer",
      required: false,
      unique: false,
      description: "Where it runs",
      min: -5,
      max: 10,
    });
    const text = draftOf({ ...emptyForm(1), name: "Serial", regex: " [A-Z]{3}\\d+ " });
    expect(text.ok && text.draft.regex).toBe("[A-Z]{3}\\d+");
    expect(draftOf({ ...emptyForm(1), name: "Serial" }).ok).toBe(true);
    const cleared = draftOf({ ...emptyForm(1), name: "Serial" });
    expect(cleared.ok && cleared.draft.regex).toBeNull();
  });

  it("refuses numbers that do not parse, by field, rather than dropping them", () => {
    expect(draftOf({ ...emptyForm(1), kind: "integer", min: "1.5", max: "ten" })).toEqual({
      ok: false,
      fields: { min: "Enter a whole number.", max: "Enter a whole number." },
    });
    expect(draftOf({ ...emptyForm(1), kind: "decimal", min: "1.5", max: "1e999" })).toEqual({
      ok: false,
      fields: { max: "Enter a number." },
    });
    expect(draftOf({ ...emptyForm(1), kind: "reference", max: "-1" })).toEqual({
      ok: false,
      fields: { max: "Enter zero or more." },
    });
    expect(draftOf({ ...emptyForm(undefined), kind: "reference" })).toEqual({
      ok: false,
      fields: { targetType: "Choose the type it refers to." },
    });
  });

  it("shows each kind's own rule fields", () => {
    expect(rulesOf("text")).toMatchObject({ regex: true, bounds: null, options: false });
    expect(rulesOf("decimal").bounds).toBe("number");
    expect(rulesOf("reference")).toMatchObject({ bounds: "count", reference: true });
    expect(rulesOf("jira_user")).toMatchObject({ multiple: true, options: false });
    expect(rulesOf("date")).toEqual({
      regex: false,
      bounds: null,
      options: false,
      multiple: false,
      reference: false,
    });
  });
});
