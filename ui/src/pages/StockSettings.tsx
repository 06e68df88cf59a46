import { useEffect, useState } from "preact/hooks";
import type { Api, AssetType, StockPolicy } from "../api";
import { FormError, useSubmit } from "../components/Form";
import { TypeChecklist } from "../components/TypeChecklist";
import { describe } from "../messages";

interface Props {
  api: Api;
  schema: string;
  types: AssetType[];
  onChanged: (message: string) => Promise<void>;
}

const KINDS: [keyof StockPolicy, string, string][] = [
  ["consumableTypes", "Consumables (used up when issued)", "consumable"],
  ["accessoryTypes", "Accessories (lent, and returned)", "accessory"],
  ["componentTypes", "Components (fitted into assets)", "component"],
];

/**
 * The schema's stock policy: which types are counted by quantity per location rather than
 * tracked one by one, and of which kind (their subtypes follow; a type is one kind).
 */
export function StockSettings({ api, schema, types, onChanged }: Props) {
  const [policy, setPolicy] = useState<StockPolicy | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    setPolicy(null);
    api
      .stockPolicy(schema)
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
    setPolicy(await api.setStockPolicy(schema, policy));
    await onChanged("Saved the stock settings.");
  });
  const fieldError = KINDS.map(([field]) => form.errors.fields[field]).find((e) => e);
  return (
    <section aria-labelledby="stock-settings-heading" id="amj-stock-settings">
      <h2 id="stock-settings-heading">Stock</h2>
      {failure && (
        <p class="amj-error" role="alert">
          The stock settings could not be loaded: {failure}
        </p>
      )}
      {policy && (
        <form id="amj-stock-policy-form" class="amj-admin-form" noValidate onSubmit={form.submit}>
          {KINDS.map(([field, legend, prefix]) => (
            <TypeChecklist
              key={field}
              types={types}
              named={policy[field]}
              legend={legend}
              prefix={`stock-${prefix}`}
              onChange={(named) => setPolicy({ ...policy, [field]: named })}
            />
          ))}
          <FormError id="amj-stock-policy-error" message={form.errors.form ?? fieldError ?? null} />
          <button type="submit" id="amj-stock-policy-save" class="amj-button" disabled={form.busy}>
            Save stock settings
          </button>
        </form>
      )}
    </section>
  );
}
