import { useEffect, useState } from "preact/hooks";
import type { Api, AssetType, CustodyPolicy, Status } from "../api";
import { FormError, useSubmit } from "../components/Form";
import { TypeChecklist } from "../components/TypeChecklist";
import { describe } from "../messages";

interface Props {
  api: Api;
  schema: string;
  types: AssetType[];
  statuses: Status[];
  onChanged: (message: string) => Promise<void>;
}

/**
 * The schema's custody policy: which types can be checked out (their subtypes follow), and the
 * statuses a check-out and a check-in move to. Retired statuses are not offered: lending must
 * not retire anything.
 */
export function CustodySettings({ api, schema, types, statuses, onChanged }: Props) {
  const [policy, setPolicy] = useState<CustodyPolicy | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    setPolicy(null);
    api
      .custodyPolicy(schema)
      .then((found) => current && setPolicy(found))
      .catch((error: unknown) => current && setFailure(describe(error)));
    return () => {
      current = false;
    };
  }, [api, schema]);
  const form = useSubmit(async () => {
    if (policy === null) {
      return;
    }
    setPolicy(await api.setCustodyPolicy(schema, policy));
    await onChanged("Saved the check-out settings.");
  });
  const usable = statuses.filter((s) => s.category !== "retired");
  const statusSelect = (
    id: string,
    label: string,
    value: number | null,
    fallback: string,
    onPick: (id: number | null) => void,
  ) => (
    <div class="amj-field">
      <label for={id}>{label}</label>
      <select
        id={id}
        value={value === null ? "" : String(value)}
        onChange={(e) =>
          onPick(e.currentTarget.value === "" ? null : Number(e.currentTarget.value))
        }
      >
        <option value="">{fallback}</option>
        {usable.map((s) => (
          <option key={s.id} value={String(s.id)}>
            {s.name}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <section aria-labelledby="custody-heading" id="amj-custody-settings">
      <h2 id="custody-heading">Check-out</h2>
      {failure && (
        <p class="amj-error" role="alert">
          The check-out settings could not be loaded: {failure}
        </p>
      )}
      {policy && (
        <form id="amj-custody-form" class="amj-admin-form" noValidate onSubmit={form.submit}>
          <TypeChecklist
            types={types}
            named={policy.checkoutableTypes}
            legend="Types that can be checked out"
            prefix="custody"
            onChange={(checkoutableTypes) => setPolicy({ ...policy, checkoutableTypes })}
          />
          {statusSelect(
            "amj-custody-out-status",
            "Status when checked out",
            policy.checkedOutStatus,
            "The first “In use” status",
            (id) => setPolicy({ ...policy, checkedOutStatus: id }),
          )}
          {statusSelect(
            "amj-custody-available-status",
            "Status when checked in",
            policy.availableStatus,
            "The first “Available” status",
            (id) => setPolicy({ ...policy, availableStatus: id }),
          )}
          <FormError
            id="amj-custody-form-error"
            message={
              form.errors.form ??
              (Object.values(form.errors.fields).length > 0
                ? Object.values(form.errors.fields).join(" ")
                : null)
            }
          />
          <button type="submit" id="amj-custody-save" class="amj-button" disabled={form.busy}>
            Save check-out settings
          </button>
        </form>
      )}
    </section>
  );
}
