import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { ApiError } from "../api";
import { describe } from "../messages";

/** What a form shows after a refused submit: messages by field, and the rest under the form. */
export interface FormErrors {
  fields: Record<string, string>;
  form: string | null;
}

const NONE: FormErrors = { fields: {}, form: null };

/**
 * A form's submit and errors: the server validates, and its per-field errors are placed next
 * to the fields they name; anything else is said under the form.
 */
export function useSubmit(send: () => Promise<void>) {
  const [errors, setErrors] = useState<FormErrors>(NONE);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setErrors(NONE);
    try {
      await send();
    } catch (error) {
      setErrors(formErrors(error));
    } finally {
      setBusy(false);
    }
  };
  return { errors, busy, submit };
}

export function formErrors(error: unknown): FormErrors {
  if (error instanceof ApiError && error.fields.length > 0) {
    const fields: Record<string, string> = {};
    for (const field of error.fields) {
      fields[field.field] = fields[field.field] ?? field.message;
    }
    return { fields, form: null };
  }
  return { fields: {}, form: describe(error) };
}

interface FieldProps {
  id: string;
  label: string;
  error: string | undefined;
  children: (props: {
    id: string;
    "aria-describedby": string;
    "aria-invalid": boolean;
  }) => ComponentChildren;
}

/** A labelled control with its error beneath, announced and linked for screen readers. */
export function Field({ id, label, error, children }: FieldProps) {
  const errorId = `${id}-error`;
  return (
    <div class="amj-field">
      <label for={id}>{label}</label>
      {children({ id, "aria-describedby": errorId, "aria-invalid": error !== undefined })}
      <p id={errorId} class="amj-field-message" hidden={error === undefined}>
        {error}
      </p>
    </div>
  );
}

export function FormError({ id, message }: { id: string; message: string | null }) {
  return (
    <p id={id} class="amj-field-message" role="alert" hidden={message === null}>
      {message}
    </p>
  );
}
