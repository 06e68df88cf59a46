import { useEffect, useRef, useState } from "preact/hooks";
import type { PageProps } from "../App";
import { ApiError, type FieldAsset, type FieldScope, type Schema } from "../api";
import { Field, FormError } from "../components/Form";
import { Lozenge } from "../components/Lozenge";
import { describe } from "../messages";

/** Jira keeps at most this many values in a list field of an app's type. */
export const MAX_VALUES = 100;

/** The keys a field value holds: Jira hands a list of strings, or nothing. */
export function fieldKeys(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** A context configuration as we saved it, if it still reads as one. */
export function readScope(configuration: unknown): FieldScope | null {
  if (typeof configuration !== "object" || configuration === null) {
    return null;
  }
  const { schema, aql } = configuration as Record<string, unknown>;
  if (typeof schema !== "string" || schema === "") {
    return null;
  }
  return typeof aql === "string" && aql.trim() !== "" ? { schema, aql } : { schema };
}

/**
 * The Assets field on the issue view: each chosen asset with its status and name, opening the
 * asset in the app. Jira's own formatter (the keys, joined) serves lists and exports.
 */
export function AssetFieldView({ api, host, context }: PageProps) {
  const field = context.field;
  const keys = fieldKeys(field?.value);
  const [assets, setAssets] = useState<Record<string, FieldAsset> | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const wanted = keys.join(",");
  const issue = context.issue?.id ?? null;
  useEffect(() => {
    if (!field || wanted === "") {
      return;
    }
    let current = true;
    api
      .fieldAssets(field.id, issue, wanted.split(","))
      .then((found) => {
        if (current) {
          setAssets(Object.fromEntries(found.items.map((a) => [a.key, a])));
        }
      })
      .catch((error: unknown) => {
        if (current) {
          setAssets({});
          setFailure(candidatesProblem(error));
        }
      });
    return () => {
      current = false;
    };
  }, [api, field, issue, wanted]);
  useEffect(() => {
    host.resize();
  }, [host, assets]);

  if (keys.length === 0) {
    return (
      <p class="amj-subtle" id="amj-field-view" data-state="ready">
        None
      </p>
    );
  }
  return (
    <section id="amj-field-view" data-state={assets === null ? "loading" : "ready"}>
      <h1 class="amj-visually-hidden">Assets</h1>
      {failure && <p class="amj-subtle">{failure}</p>}
      <ul class="amj-linked" aria-label="Assets">
        {keys.map((key) => {
          const asset = assets?.[key];
          return (
            <li key={key} data-key={key}>
              {asset ? (
                <>
                  <Lozenge name={asset.status.name} category={asset.status.category} />{" "}
                  <button
                    type="button"
                    class="amj-link-button"
                    data-open={key}
                    onClick={() => host.openAsset(key)}
                  >
                    {key}
                  </button>{" "}
                  {asset.label}
                </>
              ) : (
                <>
                  {key}
                  {assets !== null && !failure && (
                    <span class="amj-subtle"> (not among this field's assets)</span>
                  )}
                </>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** Why there is nothing to offer, for the person choosing. */
function candidatesProblem(error: unknown): string {
  if (error instanceof ApiError && error.code === "field_not_configured") {
    return "This field has no scope yet. A Jira admin sets which assets it offers in the field's context settings.";
  }
  if (error instanceof ApiError && error.code === "field_scope_invalid") {
    return `This field's scope does not work: ${error.message}`;
  }
  return `The assets could not be listed just now: ${describe(error)}`;
}

/**
 * The Assets field's edit view (Forge `jira:customFieldType`): the chosen assets, removable, and
 * a search that offers only assets within the scope the admin set for this issue's context (the
 * server reads it from Jira). Save hands Jira the keys; Jira keeps them and closes the view.
 */
export function AssetFieldEdit({ api, host, context }: PageProps) {
  const field = context.field;
  const [chosen, setChosen] = useState<string[]>(() => fieldKeys(field?.value));
  const [typed, setTyped] = useState("");
  const [offers, setOffers] = useState<FieldAsset[] | null>(null);
  // Names of the chosen assets: from what was offered, and for the saved value, looked up once.
  const [labels, setLabels] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const search = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!field) {
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      api
        .fieldCandidates(field.id, context.issue?.id ?? null, typed)
        .then((found) => {
          if (current) {
            setOffers(found.items);
            setProblem(null);
            setLabels((known) => {
              const next = { ...known };
              for (const a of found.items) {
                next[a.key] = a.label;
              }
              return next;
            });
          }
        })
        .catch((error: unknown) => {
          if (current) {
            setOffers([]);
            setProblem(candidatesProblem(error));
          }
        });
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [api, field, context.issue, typed]);

  // The saved keys' names, looked up once.
  const saved = useRef(fieldKeys(field?.value));
  const issue = context.issue?.id ?? null;
  useEffect(() => {
    const keys = saved.current;
    if (!field || keys.length === 0) {
      return;
    }
    saved.current = [];
    api
      .fieldAssets(field.id, issue, keys)
      .then((found) =>
        setLabels((known) => {
          const next = { ...known };
          for (const a of found.items) {
            next[a.key] = a.label;
          }
          return next;
        }),
      )
      .catch(() => {
        // The search says why it cannot list assets; keys alone still show what is chosen.
      });
  }, [api, field, issue]);

  useEffect(() => {
    host.resize();
  }, [host, offers, chosen, problem]);

  if (!field) {
    return (
      <p class="amj-error" role="alert">
        Jira did not say which field this is.
      </p>
    );
  }
  const full = chosen.length >= MAX_VALUES;
  const add = (key: string) => {
    if (!chosen.includes(key) && !full) {
      setChosen([...chosen, key]);
    }
    setTyped("");
    search.current?.focus();
  };
  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setSaveError(null);
    try {
      await field.submit(chosen);
    } catch (error) {
      setSaveError(`Jira did not keep the value: ${describe(error)}`);
    } finally {
      setBusy(false);
    }
  };
  const offered = (offers ?? []).filter((a) => !chosen.includes(a.key));
  return (
    <form
      id="amj-field-edit"
      class="amj-form"
      onSubmit={save}
      data-state={offers === null ? "loading" : "ready"}
    >
      <h1 class="amj-visually-hidden">Choose assets</h1>
      {chosen.length === 0 ? (
        <p class="amj-subtle" id="amj-field-empty">
          No assets chosen.
        </p>
      ) : (
        <ul id="amj-field-chosen" class="amj-linked" aria-label="Chosen assets">
          {chosen.map((key) => (
            <li key={key} data-key={key}>
              <strong>{key}</strong> {labels[key] ?? ""}{" "}
              <button
                type="button"
                class="amj-button amj-subtle-button"
                aria-label={`Remove ${key}`}
                onClick={() => {
                  setChosen(chosen.filter((k) => k !== key));
                  // The button goes with the asset: the search keeps the focus.
                  search.current?.focus();
                }}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="amj-field">
        <label for="amj-field-search">Find an asset by key or name</label>
        <input
          id="amj-field-search"
          ref={search}
          type="search"
          value={typed}
          autocomplete="off"
          aria-describedby="amj-field-help"
          disabled={full}
          onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
          onKeyDown={(e) => {
            // Enter takes the first asset offered; it does not save the field half chosen.
            if (e.key === "Enter") {
              e.preventDefault();
              const first = offered[0];
              if (first) {
                add(first.key);
              }
            }
          }}
        />
        <p id="amj-field-help" class="amj-subtle">
          {full
            ? `A field holds at most ${MAX_VALUES} assets.`
            : "Only the assets this field offers here are listed."}
        </p>
      </div>
      {problem && (
        <output class="amj-subtle" id="amj-field-problem">
          {problem}
        </output>
      )}
      {offers !== null && !problem && (
        <output class="amj-visually-hidden" id="amj-field-count">
          {offered.length === 1 ? "1 asset offered" : `${offered.length} assets offered`}
        </output>
      )}
      {offered.length > 0 && (
        <ul id="amj-field-offers" class="amj-linked" aria-label="Assets to add">
          {offered.map((a) => (
            <li key={a.key} data-key={a.key}>
              <button
                type="button"
                class="amj-button amj-subtle-button"
                aria-label={`Add ${a.key} ${a.label}`}
                disabled={full}
                onClick={() => add(a.key)}
              >
                Add
              </button>{" "}
              <strong>{a.key}</strong> {a.label}
            </li>
          ))}
        </ul>
      )}
      {offers !== null && offered.length === 0 && !problem && (
        <p class="amj-subtle" id="amj-field-none">
          {typed.trim() === "" ? "Nothing more to offer." : `No asset matches “${typed.trim()}”.`}
        </p>
      )}
      <FormError id="amj-field-error" message={saveError} />
      <button type="submit" id="amj-field-save" class="amj-button" disabled={busy}>
        Save
      </button>
    </form>
  );
}

/**
 * The Assets field's context configuration, for Jira admins: which schema, and optionally which
 * AQL within it, the field offers in this context. The query is run before it is saved, so a
 * scope that does not work is said here rather than by every issue's edit view.
 */
export function AssetFieldConfig({ api, context }: PageProps) {
  const field = context.field;
  const saved = readScope(field?.configuration);
  const [schemas, setSchemas] = useState<Schema[] | null>(null);
  const [schema, setSchema] = useState(saved?.schema ?? "");
  const [aql, setAql] = useState(saved?.aql ?? "");
  const [aqlError, setAqlError] = useState<string | undefined>(undefined);
  const [formError, setFormError] = useState<string | null>(null);
  const [matches, setMatches] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let current = true;
    api
      .schemas()
      .then((list) => current && setSchemas(list))
      .catch(
        (error: unknown) =>
          current && setFormError(`Could not list the schemas: ${describe(error)}`),
      );
    return () => {
      current = false;
    };
  }, [api]);

  if (!field) {
    return (
      <p class="amj-error" role="alert">
        Jira did not say which field this is.
      </p>
    );
  }
  if (schemas === null && formError === null) {
    return <p class="amj-subtle">Loading…</p>;
  }
  const chosen = schemas?.some((s) => s.key === schema) ? schema : (schemas?.[0]?.key ?? "");
  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setAqlError(undefined);
    setFormError(null);
    setMatches(null);
    try {
      const query = aql.trim();
      // The scope must run: the same query the edit view will narrow.
      const page = await api.query(query === "" ? "objectId > 0" : query, {
        schema: chosen,
        limit: 1,
      });
      setMatches(
        page.total === null
          ? null
          : `${page.total}${page.totalExact === false ? "+" : ""} assets match.`,
      );
      await field.submit({
        configuration: query === "" ? { schema: chosen } : { schema: chosen, aql: query },
      });
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        setAqlError(error.message);
      } else {
        setFormError(`The scope was not saved: ${describe(error)}`);
      }
    } finally {
      setBusy(false);
    }
  };
  return (
    <form id="amj-field-config" class="amj-form" onSubmit={save}>
      <h1 class="amj-compact">Assets field: which assets it offers</h1>
      <div class="amj-field">
        <label for="amj-field-schema">Schema</label>
        <select
          id="amj-field-schema"
          value={chosen}
          onChange={(e) => setSchema((e.target as HTMLSelectElement).value)}
        >
          {(schemas ?? []).map((s) => (
            <option key={s.key} value={s.key}>
              {s.name} ({s.key})
            </option>
          ))}
        </select>
      </div>
      <Field id="amj-field-aql" label="Only assets matching (AQL, optional)" error={aqlError}>
        {(props) => (
          <input
            {...props}
            type="text"
            value={aql}
            placeholder='objectType = Laptop AND status = "In stock"'
            onInput={(e) => setAql((e.target as HTMLInputElement).value)}
          />
        )}
      </Field>
      {matches && (
        <output class="amj-subtle" id="amj-field-matches">
          {matches}
        </output>
      )}
      <FormError id="amj-field-config-error" message={formError} />
      <button
        type="submit"
        id="amj-field-config-save"
        class="amj-button"
        disabled={busy || chosen === ""}
      >
        Save
      </button>
    </form>
  );
}
