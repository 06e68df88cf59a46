import { useEffect, useState } from "preact/hooks";
import type { Api, AssetType, LicencePolicy } from "../api";
import { Field, FormError, useSubmit } from "../components/Form";
import { TypeChecklist } from "../components/TypeChecklist";
import { describe } from "../messages";

interface Props {
  api: Api;
  schema: string;
  types: AssetType[];
  onChanged: (message: string) => Promise<void>;
}

/**
 * The schema's licence policy: which types are licences (their subtypes follow), and the
 * reference attribute whose values count as installations ("Installed software" on a
 * computer), for the compliance view's "installed".
 */
export function LicenceSettings({ api, schema, types, onChanged }: Props) {
  const [policy, setPolicy] = useState<LicencePolicy | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    setPolicy(null);
    api
      .licencePolicy(schema)
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
    setPolicy(await api.setLicencePolicy(schema, policy));
    await onChanged("Saved the licence settings.");
  });
  // Each reference attribute once, named with the type that declares it (subtypes list
  // inherited attributes too).
  const references = new Map<number, string>();
  for (const type of types) {
    for (const a of type.attributes) {
      if (a.kind === "reference" && !references.has(a.id)) {
        const owner = types.find((t) => t.id === a.typeId)?.name ?? type.name;
        references.set(a.id, `${owner}: ${a.name}`);
      }
    }
  }
  return (
    <section aria-labelledby="licence-settings-heading" id="amj-licence-settings">
      <h2 id="licence-settings-heading">Licences</h2>
      {failure && (
        <p class="amj-error" role="alert">
          The licence settings could not be loaded: {failure}
        </p>
      )}
      {policy && (
        <form id="amj-licence-policy-form" class="amj-admin-form" noValidate onSubmit={form.submit}>
          <TypeChecklist
            types={types}
            named={policy.licensedTypes}
            legend="Types that are licences"
            prefix="licence"
            onChange={(licensedTypes) => setPolicy({ ...policy, licensedTypes })}
          />
          <Field
            id="amj-licence-installed"
            label="Installations are counted from"
            error={form.errors.fields.installedAttribute}
          >
            {(a) => (
              <select
                {...a}
                value={policy.installedAttribute === null ? "" : String(policy.installedAttribute)}
                onChange={(e) =>
                  setPolicy({
                    ...policy,
                    installedAttribute:
                      e.currentTarget.value === "" ? null : Number(e.currentTarget.value),
                  })
                }
              >
                <option value="">Not counted</option>
                {[...references].map(([id, label]) => (
                  <option key={id} value={String(id)}>
                    {label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <FormError
            id="amj-licence-policy-error"
            message={
              form.errors.form ??
              (form.errors.fields.licensedTypes !== undefined
                ? form.errors.fields.licensedTypes
                : null)
            }
          />
          <button
            type="submit"
            id="amj-licence-policy-save"
            class="amj-button"
            disabled={form.busy}
          >
            Save licence settings
          </button>
        </form>
      )}
    </section>
  );
}
