import { useCallback, useEffect, useState } from "preact/hooks";
import type { PageProps } from "../App";
import type { Schema } from "../api";
import { Field, FormError } from "../components/Form";
import { describe } from "../messages";
import { listPath } from "../query";
import { chartTitle, DASHBOARD_CHARTS, Dashboard, type DashboardChart } from "./Dashboard";

/** What a placed gadget shows: one chart of one schema. */
export interface GadgetSettings {
  schema: string;
  chart: DashboardChart;
}

/** Settings as Jira kept them, if they are still ones this version understands. */
export function readSettings(saved: unknown): GadgetSettings | null {
  if (typeof saved !== "object" || saved === null) {
    return null;
  }
  const { schema, chart } = saved as Record<string, unknown>;
  if (typeof schema !== "string" || schema === "") {
    return null;
  }
  const known = DASHBOARD_CHARTS.find(([c]) => c === chart)?.[0];
  return known ? { schema, chart: known } : null;
}

type State =
  | { mode: "loading" }
  | { mode: "unset" }
  | { mode: "failed"; message: string }
  | { mode: "edit"; settings: GadgetSettings | null }
  | { mode: "view"; settings: GadgetSettings };

/**
 * The Jira dashboard gadget: one chart of the app's dashboard, chosen per placed gadget, whose
 * bars open the asset list at exactly their assets. Jira keeps the choice for the gadget (the
 * host adapter knows where); until there is one, the gadget shows its settings.
 */
export function GadgetPage({ api, host, context, formats }: PageProps) {
  const gadget = host.gadget();
  const [state, setState] = useState<State>({ mode: "loading" });
  const [schemas, setSchemas] = useState<Schema[] | null>(null);

  useEffect(() => {
    if (!gadget) {
      setState({ mode: "failed", message: "Jira did not say which gadget this is." });
      return;
    }
    let current = true;
    gadget
      .settings()
      .then((saved) => {
        if (!current) {
          return;
        }
        const settings = readSettings(saved);
        if (settings && !gadget.editing) {
          setState({ mode: "view", settings });
        } else if (gadget.editing || gadget.savesInView) {
          setState({ mode: "edit", settings });
        } else {
          setState({ mode: "unset" });
        }
      })
      .catch(
        (error: unknown) =>
          current &&
          setState({ mode: "failed", message: `Could not read its settings: ${describe(error)}` }),
      );
    gadget.onEdit(
      () =>
        current &&
        setState((was) => ({
          mode: "edit",
          settings: was.mode === "view" || was.mode === "edit" ? was.settings : null,
        })),
    );
    return () => {
      current = false;
    };
  }, [gadget]);

  // The form lists the schemas; the view only names its own, and keeps its chart without them.
  const shown = state.mode === "edit" || state.mode === "view";
  const [schemaError, setSchemaError] = useState<string | null>(null);
  useEffect(() => {
    if (!shown || schemas !== null) {
      return;
    }
    let current = true;
    api
      .schemas()
      .then((list) => current && setSchemas(list))
      .catch(
        (error: unknown) =>
          current && setSchemaError(`Could not list the schemas: ${describe(error)}`),
      );
    return () => {
      current = false;
    };
  }, [api, shown, schemas]);

  const viewing = state.mode === "view" ? state.settings : null;
  const open = useCallback(
    (aql: string) => {
      if (viewing) {
        host.openList(listPath({ schema: viewing.schema, type: null, aql, sort: null }));
      }
    },
    [host, viewing],
  );
  // The frame follows what is shown (Connect sizes it on request; Forge by itself).
  const mode = state.mode;
  const hasSchemas = schemas !== null;
  useEffect(() => {
    host.resize();
  }, [host, mode, hasSchemas]);

  if (state.mode === "loading") {
    return <p class="amj-subtle">Loading…</p>;
  }
  if (state.mode === "unset") {
    return (
      <p class="amj-subtle" id="amj-gadget-unset">
        This gadget has not been set up yet. Choose Edit in its menu to pick a schema and a chart.
      </p>
    );
  }
  if (state.mode === "failed") {
    return (
      <div class="amj-error" role="alert" id="amj-gadget-error">
        {state.message}
      </div>
    );
  }
  if (state.mode === "edit") {
    if (schemaError) {
      return (
        <div class="amj-error" role="alert" id="amj-gadget-error">
          {schemaError}
        </div>
      );
    }
    return (
      <GadgetForm
        schemas={schemas}
        settings={state.settings}
        onSave={async (settings) => {
          await gadget?.save(settings);
          setState({ mode: "view", settings });
        }}
        onCancel={
          state.settings && gadget?.savesInView
            ? () => setState({ mode: "view", settings: state.settings as GadgetSettings })
            : null
        }
      />
    );
  }
  const { schema, chart } = state.settings;
  const name = schemas?.find((s) => s.key === schema)?.name ?? schema;
  return (
    <main id="amj-gadget" data-state="view" data-chart={chart}>
      <h1 class="amj-visually-hidden">
        {chartTitle(chart)}: {name}
      </h1>
      <Dashboard
        api={api}
        schema={schema}
        schemaName={name}
        locale={context.locale}
        formats={formats}
        onOpen={open}
        only={chart}
      />
    </main>
  );
}

function GadgetForm({
  schemas,
  settings,
  onSave,
  onCancel,
}: {
  schemas: Schema[] | null;
  settings: GadgetSettings | null;
  onSave: (settings: GadgetSettings) => Promise<void>;
  onCancel: (() => void) | null;
}) {
  const [schema, setSchema] = useState(settings?.schema ?? "");
  const [chart, setChart] = useState<DashboardChart>(settings?.chart ?? "type");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [missing, setMissing] = useState(false);
  // A saved schema that was deleted since is not offered: the first schema is.
  const chosen = schemas?.some((s) => s.key === schema) ? schema : (schemas?.[0]?.key ?? "");
  if (schemas === null) {
    return <p class="amj-subtle">Loading…</p>;
  }
  if (schemas.length === 0) {
    return (
      <p class="amj-subtle" id="amj-gadget-empty">
        There are no schemas yet. A site admin creates one under the app's settings.
      </p>
    );
  }
  return (
    <main id="amj-gadget" data-state="edit">
      <form
        id="amj-gadget-form"
        class="amj-admin-form"
        noValidate
        onSubmit={async (event) => {
          event.preventDefault();
          if (!chosen) {
            setMissing(true);
            return;
          }
          setBusy(true);
          setError(null);
          try {
            await onSave({ schema: chosen, chart });
          } catch (e) {
            setError(`Could not save the gadget: ${describe(e)}`);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1>Gadget settings</h1>
        <Field
          id="amj-gadget-schema"
          label="Schema"
          error={missing ? "Choose a schema." : undefined}
        >
          {(p) => (
            <select {...p} value={chosen} onChange={(e) => setSchema(e.currentTarget.value)}>
              {schemas.map((s) => (
                <option key={s.key} value={s.key}>
                  {s.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id="amj-gadget-chart" label="Chart" error={undefined}>
          {(p) => (
            <select
              {...p}
              value={chart}
              onChange={(e) => setChart(e.currentTarget.value as DashboardChart)}
            >
              {DASHBOARD_CHARTS.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <FormError id="amj-gadget-form-error" message={error} />
        <div class="amj-form-actions">
          <button type="submit" class="amj-button" disabled={busy}>
            Save
          </button>
          {onCancel && (
            <button type="button" class="amj-button amj-subtle-button" onClick={onCancel}>
              Cancel
            </button>
          )}
        </div>
      </form>
    </main>
  );
}
