import { useCallback, useEffect, useState } from "preact/hooks";
import type {
  Api,
  ApiToken,
  AssetType,
  AttributeDef,
  ConnectionHealth,
  Schema,
  Status,
  StatusCategory,
} from "../api";
import { AttributeEditor, KINDS } from "../components/AttributeEditor";
import { Field, FormError, useSubmit } from "../components/Form";
import { ItemActions } from "../components/ItemActions";
import { Lozenge } from "../components/Lozenge";
import type { Formats } from "../format";
import type { Host } from "../host/types";
import { TYPE_ICONS, TypeIcon } from "../icons";
import { describe } from "../messages";
import { keyMove, moveItem, possibleParents } from "../reorder";
import { CustodySettings } from "./CustodySettings";
import { KitSettings } from "./KitSettings";
import { LicenceSettings } from "./LicenceSettings";
import { RequestSettings } from "./RequestSettings";
import { StockSettings } from "./StockSettings";

interface Props {
  api: Api;
  host: Host;
  formats: Formats;
}

const CATEGORIES: [StatusCategory, string][] = [
  ["available", "Available"],
  ["in_use", "In use"],
  ["maintenance", "Maintenance"],
  ["retired", "Retired"],
];

/** Types in tree order, each with its depth. */
export function typeTree(types: AssetType[]): { type: AssetType; depth: number }[] {
  const out: { type: AssetType; depth: number }[] = [];
  const seen = new Set<number>();
  const walk = (parent: number | null, depth: number) => {
    for (const type of types) {
      if ((type.parentId ?? null) === parent && !seen.has(type.id)) {
        seen.add(type.id);
        out.push({ type, depth });
        walk(type.id, depth + 1);
      }
    }
  };
  walk(null, 0);
  return out;
}

/**
 * The app's settings for a site admin: the connection's health, the schema (types, their
 * attributes, statuses) and API tokens. Everything goes through the API, which checks that the
 * viewer is a site admin; the page only says what the server refused.
 */
export function AdminPage({ api, host, formats }: Props) {
  const [schemas, setSchemas] = useState<Schema[] | null>(null);
  const [schema, setSchema] = useState<string | null>(null);
  const [types, setTypes] = useState<AssetType[]>([]);
  const [statuses, setStatuses] = useState<Status[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [loaded, setLoaded] = useState(false);

  const loadSchema = useCallback(
    async (key: string | null) => {
      if (key === null) {
        setTypes([]);
        setStatuses([]);
        return;
      }
      const [t, s] = await Promise.all([api.types(key), api.statuses(key)]);
      setTypes(t);
      setStatuses(s);
    },
    [api],
  );

  const loadSchemas = useCallback(
    async (select?: string) => {
      const found = await api.schemas();
      setSchemas(found);
      const key = select ?? found[0]?.key ?? null;
      setSchema(key);
      await loadSchema(key);
    },
    [api, loadSchema],
  );

  const load = useCallback(() => {
    setFailure(null);
    loadSchemas()
      .then(() => setLoaded(true))
      .catch((error: unknown) =>
        setFailure(`The settings could not be loaded: ${describe(error)}`),
      );
  }, [loadSchemas]);
  useEffect(load, [load]);
  useEffect(() => host.resize(), [host, schemas, types, statuses, failure, status]);

  const done = (message: string) => {
    setStatus(message);
    host.flag(message, "success");
  };
  // Every change to the schema's items reads them again, then says what happened.
  const changed = async (message: string) => {
    await loadSchema(schema);
    done(message);
  };

  return (
    <section id="amj-admin" data-state={failure ? "failed" : loaded ? "ready" : "loading"}>
      <h1>Asset settings</h1>
      {failure && (
        <div id="amj-error" class="amj-error" role="alert">
          <p id="amj-error-text">{failure}</p>
          <button type="button" id="amj-retry" class="amj-button" onClick={load}>
            Retry
          </button>
        </div>
      )}
      {schemas && (
        <>
          <SchemasSection
            api={api}
            schemas={schemas}
            schema={schema}
            onSelect={(key) => {
              setSchema(key);
              void loadSchema(key).catch((e: unknown) => setFailure(describe(e)));
            }}
            onCreated={async (key) => {
              await loadSchemas(key);
              done(`Created the schema ${key}.`);
            }}
          />
          {schema && (
            <>
              <TypesSection api={api} schema={schema} types={types} onChanged={changed} />
              <AttributesSection api={api} schema={schema} types={types} onChanged={changed} />
              <StatusesSection api={api} schema={schema} statuses={statuses} onChanged={changed} />
              <CustodySettings
                api={api}
                schema={schema}
                types={types}
                statuses={statuses}
                onChanged={changed}
              />
              <LicenceSettings api={api} schema={schema} types={types} onChanged={changed} />
              <StockSettings api={api} schema={schema} types={types} onChanged={changed} />
              <KitSettings api={api} schema={schema} types={types} onChanged={changed} />
              <RequestSettings api={api} schema={schema} onChanged={changed} />
            </>
          )}
          <TokensSection api={api} formats={formats} onChange={done} />
          <ConnectionSection api={api} formats={formats} />
        </>
      )}
      <output id="amj-admin-status" class="amj-subtle amj-status-line">
        {status}
      </output>
    </section>
  );
}

function SchemasSection(props: {
  api: Api;
  schemas: Schema[];
  schema: string | null;
  onSelect: (key: string) => void;
  onCreated: (key: string) => Promise<void>;
}) {
  const [key, setKey] = useState("");
  const [name, setName] = useState("");
  const form = useSubmit(async () => {
    const created = await props.api.createSchema(key.trim(), name.trim());
    setKey("");
    setName("");
    await props.onCreated(created.key);
  });
  return (
    <section aria-labelledby="schemas-heading">
      <h2 id="schemas-heading">Schemas</h2>
      {props.schemas.length === 0 ? (
        <p class="amj-subtle">No schema yet: create the first one to hold your asset types.</p>
      ) : (
        <>
          <label for="amj-admin-schema">Schema</label>
          <select
            id="amj-admin-schema"
            value={props.schema ?? ""}
            onChange={(e) => props.onSelect(e.currentTarget.value)}
          >
            {props.schemas.map((s) => (
              <option key={s.key} value={s.key}>
                {s.name} ({s.key})
              </option>
            ))}
          </select>
        </>
      )}
      <form id="amj-schema-form" class="amj-admin-form" noValidate onSubmit={form.submit}>
        <h3>New schema</h3>
        <Field
          id="amj-schema-key"
          label="Key (2–10 capitals, e.g. IT)"
          error={form.errors.fields.key}
        >
          {(p) => <input {...p} value={key} onInput={(e) => setKey(e.currentTarget.value)} />}
        </Field>
        <Field id="amj-schema-name" label="Name" error={form.errors.fields.name}>
          {(p) => <input {...p} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <FormError id="amj-schema-form-error" message={form.errors.form} />
        <button type="submit" class="amj-button" disabled={form.busy}>
          Create schema
        </button>
      </form>
    </section>
  );
}

function TypesSection(props: {
  api: Api;
  schema: string;
  types: AssetType[];
  onChanged: (message: string) => Promise<void>;
}) {
  const [name, setName] = useState("");
  const [parent, setParent] = useState("");
  const [isAbstract, setAbstract] = useState(false);
  const [dragged, setDragged] = useState<AssetType | null>(null);
  const tree = typeTree(props.types);
  const names = new Map(props.types.map((t) => [t.id, t.name]));
  const move = async (type: AssetType, parentId: number | null) => {
    if (parentId === type.parentId) {
      return;
    }
    await props.api.moveType(props.schema, type, parentId);
    await props.onChanged(
      parentId === null
        ? `Moved ${type.name} to the top level.`
        : `Moved ${type.name} under ${names.get(parentId) ?? "its new parent"}.`,
    );
    document.getElementById(`amj-parent-${type.id}`)?.focus();
  };
  const [moveError, setMoveError] = useState<string | null>(null);
  const tryIcon = (type: AssetType, icon: string) => {
    setMoveError(null);
    props.api
      .setTypeIcon(props.schema, type, icon)
      .then(() => props.onChanged(`${type.name} now shows the ${icon} icon.`))
      .catch((e: unknown) =>
        setMoveError(`Could not change the icon of ${type.name}: ${describe(e)}`),
      );
  };
  const tryMove = (type: AssetType, parentId: number | null) => {
    setMoveError(null);
    move(type, parentId).catch((e: unknown) =>
      setMoveError(`Could not move ${type.name}: ${describe(e)}`),
    );
  };
  const form = useSubmit(async () => {
    const created = await props.api.createType(props.schema, {
      name: name.trim(),
      parentId: parent ? Number(parent) : null,
      isAbstract,
    });
    setName("");
    setAbstract(false);
    await props.onChanged(`Created the type ${created.name}.`);
  });
  return (
    <section aria-labelledby="types-heading">
      <h2 id="types-heading">Asset types</h2>
      <ul id="amj-type-tree" class="amj-tree" aria-label="Asset types">
        {tree.length === 0 && <li class="amj-subtle">No types yet: create the first one below.</li>}
        {dragged && (
          <li
            class="amj-drop-root"
            onDragOver={(e) => e.preventDefault()}
            onDrop={(e) => {
              e.preventDefault();
              tryMove(dragged, null);
              setDragged(null);
            }}
          >
            Drop here to move {dragged.name} to the top level
          </li>
        )}
        {tree.map(({ type, depth }) => (
          <li
            key={type.id}
            data-type={type.name}
            style={{ paddingLeft: `${depth * 16}px` }}
            draggable
            onDragStart={(e) => {
              setDragged(type);
              e.dataTransfer?.setData("text/plain", type.name);
            }}
            onDragEnd={() => setDragged(null)}
            onDragOver={(e) => {
              if (dragged && possibleParents(props.types, dragged.id).includes(type.id)) {
                e.preventDefault();
              }
            }}
            onDrop={(e) => {
              e.preventDefault();
              if (dragged) {
                tryMove(dragged, type.id);
              }
              setDragged(null);
            }}
          >
            <TypeIcon icon={type.icon} />{" "}
            <span class="amj-item-name">
              {type.name}
              {type.isAbstract ? " (abstract)" : ""}
            </span>{" "}
            <label class="amj-visually-hidden" for={`amj-icon-${type.id}`}>
              Icon of {type.name}
            </label>
            <select
              id={`amj-icon-${type.id}`}
              class="amj-parent-select"
              value={type.icon ?? "generic"}
              onChange={(e) => tryIcon(type, e.currentTarget.value)}
            >
              {TYPE_ICONS.map(([icon]) => (
                <option key={icon} value={icon}>
                  {icon}
                </option>
              ))}
            </select>{" "}
            <label class="amj-visually-hidden" for={`amj-parent-${type.id}`}>
              Parent of {type.name}
            </label>
            <select
              id={`amj-parent-${type.id}`}
              class="amj-parent-select"
              value={type.parentId === null ? "" : String(type.parentId)}
              onChange={(e) =>
                tryMove(type, e.currentTarget.value ? Number(e.currentTarget.value) : null)
              }
            >
              {possibleParents(props.types, type.id).map((id) => (
                <option key={id ?? "top"} value={id === null ? "" : String(id)}>
                  {id === null ? "Top level" : `Under ${names.get(id) ?? id}`}
                </option>
              ))}
            </select>{" "}
            <ItemActions
              label={type.name}
              rename={async (name) => {
                await props.api.renameType(props.schema, type, name);
                await props.onChanged(`Renamed ${type.name} to ${name}.`);
              }}
              remove={async () => {
                await props.api.deleteType(props.schema, type.id);
                await props.onChanged(`Deleted the type ${type.name}.`);
              }}
            />
          </li>
        ))}
      </ul>
      {moveError && (
        <p id="amj-move-error" class="amj-field-message" role="alert">
          {moveError}
        </p>
      )}
      <form id="amj-type-form" class="amj-admin-form" noValidate onSubmit={form.submit}>
        <h3>New type</h3>
        <Field id="amj-type-name" label="Name" error={form.errors.fields.name}>
          {(p) => <input {...p} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <Field id="amj-type-parent" label="Parent" error={form.errors.fields.parentId}>
          {(p) => (
            <select {...p} value={parent} onChange={(e) => setParent(e.currentTarget.value)}>
              <option value="">(none: a top-level type)</option>
              {tree.map(({ type, depth }) => (
                <option key={type.id} value={String(type.id)}>
                  {"\u00a0\u00a0".repeat(depth)}
                  {type.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div class="amj-field amj-check">
          <input
            type="checkbox"
            id="amj-type-abstract"
            checked={isAbstract}
            onChange={(e) => setAbstract(e.currentTarget.checked)}
          />
          <label for="amj-type-abstract">Abstract (groups other types; holds no assets)</label>
        </div>
        <FormError id="amj-type-form-error" message={form.errors.form} />
        <button type="submit" class="amj-button" disabled={form.busy}>
          Create type
        </button>
      </form>
    </section>
  );
}

function AttributesSection(props: {
  api: Api;
  schema: string;
  types: AssetType[];
  onChanged: (message: string) => Promise<void>;
}) {
  const tree = typeTree(props.types);
  const [typeId, setTypeId] = useState<number | null>(null);
  const chosen = props.types.find((t) => t.id === typeId) ?? tree[0]?.type ?? null;
  // A picked-up attribute (keyboard) with the order it previews, and one dragged (mouse).
  const [grab, setGrab] = useState<{ id: number; ids: number[] } | null>(null);
  const [dragged, setDragged] = useState<number | null>(null);
  const [said, setSaid] = useState("");
  const [orderError, setOrderError] = useState<string | null>(null);
  const [editingId, setEditingId] = useState<number | null>(null);
  // By id: a save may have renamed the attribute.
  const focusEdit = (id: number) =>
    document.querySelector<HTMLElement>(`[data-designer-edit="${id}"]`)?.focus();
  if (!chosen) {
    return null;
  }
  const byId = new Map(props.types.map((t) => [t.id, t.name]));
  const own = chosen.attributes.filter((a) => a.typeId === chosen.id);
  const editing = own.find((a) => a.id === editingId);
  const ownIds = own.map((a) => a.id);
  const previewIds = grab?.ids ?? ownIds;
  const rows = [
    ...chosen.attributes.filter((a) => a.typeId !== chosen.id),
    ...previewIds.flatMap((id) => own.filter((a) => a.id === id)),
  ];
  const saveOrder = async (ids: number[], attribute: AttributeDef) => {
    const name = attribute.name;
    setOrderError(null);
    if (ids.every((id, i) => id === ownIds[i])) {
      setSaid(`${name} stays where it was.`);
      return;
    }
    try {
      await props.api.reorderAttributes(props.schema, chosen.id, ids);
      await props.onChanged(
        `Moved ${name} to position ${ids.indexOf(attribute.id) + 1} of ${ids.length}.`,
      );
      document.querySelector<HTMLElement>(`[data-move="${CSS.escape(name)}"]`)?.focus();
    } catch (e) {
      setOrderError(`Could not move ${name}: ${describe(e)}`);
    }
  };
  const onHandleKey = (event: KeyboardEvent, attribute: AttributeDef) => {
    const picking = event.key === " " || event.key === "Enter";
    if (!grab) {
      if (picking) {
        event.preventDefault();
        setGrab({ id: attribute.id, ids: ownIds });
        setSaid(
          `Picked up ${attribute.name}, position ${ownIds.indexOf(attribute.id) + 1} of ${ownIds.length}. Arrow keys move it, Space drops it, Escape cancels.`,
        );
      }
      return;
    }
    if (grab.id !== attribute.id) {
      return;
    }
    if (picking) {
      event.preventDefault();
      const ids = grab.ids;
      setGrab(null);
      void saveOrder(ids, attribute);
      return;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      setGrab(null);
      setSaid(`Move of ${attribute.name} cancelled.`);
      return;
    }
    const from = grab.ids.indexOf(attribute.id);
    const to = keyMove(event.key, from, grab.ids.length);
    if (to !== null) {
      event.preventDefault();
      setGrab({ id: grab.id, ids: moveItem(grab.ids, from, to) });
      setSaid(`${attribute.name}: position ${to + 1} of ${grab.ids.length}.`);
    }
  };
  return (
    <section aria-labelledby="attributes-heading">
      <h2 id="attributes-heading">Attributes of {chosen.name}</h2>
      <label for="amj-attr-type">Type</label>
      <select
        id="amj-attr-type"
        value={String(chosen.id)}
        onChange={(e) => setTypeId(Number(e.currentTarget.value))}
      >
        {tree.map(({ type, depth }) => (
          <option key={type.id} value={String(type.id)}>
            {"\u00a0\u00a0".repeat(depth)}
            {type.name}
          </option>
        ))}
      </select>
      <table class="amj-table" id="amj-attr-table">
        <caption class="amj-visually-hidden">Attributes of {chosen.name}</caption>
        <thead>
          <tr>
            <th scope="col">
              <span class="amj-visually-hidden">Order</span>
            </th>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Required</th>
            <th scope="col">Unique</th>
            <th scope="col">From</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody id="amj-attr-rows">
          {rows.map((a) => (
            <tr
              key={a.id}
              data-attribute={a.name}
              class={grab?.id === a.id ? "amj-grabbed" : undefined}
              draggable={a.typeId === chosen.id}
              onDragStart={(e) => {
                setDragged(a.id);
                e.dataTransfer?.setData("text/plain", a.name);
              }}
              onDragEnd={() => setDragged(null)}
              onDragOver={(e) => {
                if (dragged !== null && a.typeId === chosen.id) {
                  e.preventDefault();
                }
              }}
              onDrop={(e) => {
                e.preventDefault();
                const moved = own.find((x) => x.id === dragged);
                if (moved) {
                  const ids = moveItem(ownIds, ownIds.indexOf(moved.id), ownIds.indexOf(a.id));
                  void saveOrder(ids, moved);
                }
                setDragged(null);
              }}
            >
              <td>
                {a.typeId === chosen.id && (
                  <button
                    type="button"
                    class="amj-handle"
                    data-move={a.name}
                    aria-label={`Move ${a.name}`}
                    aria-describedby="amj-move-help"
                    aria-pressed={grab?.id === a.id}
                    onKeyDown={(e) => onHandleKey(e, a)}
                    onBlur={() => {
                      if (grab?.id === a.id) {
                        setGrab(null);
                      }
                    }}
                  >
                    ⠿
                  </button>
                )}
              </td>
              <th scope="row">{a.name}</th>
              <td>{KINDS.find(([k]) => k === a.kind)?.[1] ?? a.kind}</td>
              <td>{a.required ? "Yes" : "No"}</td>
              <td>{a.unique ? "Yes" : "No"}</td>
              <td>{a.typeId === chosen.id ? "" : byId.get(a.typeId)}</td>
              <td>
                {a.typeId === chosen.id && (
                  <button
                    type="button"
                    class="amj-button amj-subtle-button"
                    data-designer-edit={a.id}
                    aria-label={`Edit ${a.name}`}
                    aria-expanded={editingId === a.id}
                    onClick={() => setEditingId(a.id)}
                  >
                    Edit
                  </button>
                )}
                {a.typeId === chosen.id && (
                  <ItemActions
                    label={a.name}
                    rename={async (name) => {
                      await props.api.renameAttribute(props.schema, a, name);
                      await props.onChanged(`Renamed ${a.name} to ${name}.`);
                    }}
                    remove={async () => {
                      await props.api.deleteAttribute(props.schema, a.id);
                      await props.onChanged(`Deleted the attribute ${a.name}.`);
                    }}
                  />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p id="amj-move-help" class="amj-subtle">
        Drag a row by its handle to reorder the type's own attributes, or focus the handle and press
        Space, move with the arrow keys, and press Space again.
      </p>
      <output id="amj-move-status" class="amj-visually-hidden" aria-live="assertive">
        {said}
      </output>
      {orderError && (
        <p id="amj-order-error" class="amj-field-message" role="alert">
          {orderError}
        </p>
      )}
      {editing ? (
        <AttributeEditor
          key={`edit-${editing.id}`}
          api={props.api}
          schema={props.schema}
          type={chosen}
          tree={tree}
          attribute={editing}
          onSaved={async (message) => {
            setEditingId(null);
            await props.onChanged(message);
            focusEdit(editing.id);
          }}
          onCancel={() => {
            setEditingId(null);
            focusEdit(editing.id);
          }}
        />
      ) : (
        <AttributeEditor
          key={`new-${chosen.id}`}
          api={props.api}
          schema={props.schema}
          type={chosen}
          tree={tree}
          onSaved={async (message) => {
            setTypeId(chosen.id);
            await props.onChanged(message);
          }}
        />
      )}
    </section>
  );
}

function StatusesSection(props: {
  api: Api;
  schema: string;
  statuses: Status[];
  onChanged: (message: string) => Promise<void>;
}) {
  const [name, setName] = useState("");
  const [category, setCategory] = useState<StatusCategory>("available");
  const form = useSubmit(async () => {
    const created = await props.api.createStatus(props.schema, name.trim(), category);
    setName("");
    await props.onChanged(`Added the status ${created.name}.`);
  });
  return (
    <section aria-labelledby="statuses-heading">
      <h2 id="statuses-heading">Statuses</h2>
      <ul id="amj-status-list" class="amj-linked">
        {props.statuses.map((s) => (
          <li key={s.id}>
            <Lozenge name={s.name} category={s.category} />{" "}
            <span class="amj-subtle">{CATEGORIES.find(([c]) => c === s.category)?.[1]}</span>{" "}
            <ItemActions
              label={s.name}
              rename={async (name) => {
                await props.api.renameStatus(props.schema, s, name);
                await props.onChanged(`Renamed ${s.name} to ${name}.`);
              }}
              remove={async () => {
                await props.api.deleteStatus(props.schema, s.id);
                await props.onChanged(`Deleted the status ${s.name}.`);
              }}
            />
          </li>
        ))}
      </ul>
      <form id="amj-status-form" class="amj-admin-form" noValidate onSubmit={form.submit}>
        <Field id="amj-status-name" label="New status" error={form.errors.fields.name}>
          {(p) => <input {...p} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <Field id="amj-status-category" label="Category" error={form.errors.fields.category}>
          {(p) => (
            <select
              {...p}
              value={category}
              onChange={(e) => setCategory(e.currentTarget.value as StatusCategory)}
            >
              {CATEGORIES.map(([c, label]) => (
                <option key={c} value={c}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <FormError id="amj-status-form-error" message={form.errors.form} />
        <button type="submit" class="amj-button" disabled={form.busy}>
          Add status
        </button>
      </form>
    </section>
  );
}

function TokensSection(props: { api: Api; formats: Formats; onChange: (message: string) => void }) {
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [readOnly, setReadOnly] = useState(true);
  const [secret, setSecret] = useState<string | null>(null);
  const { api, onChange } = props;
  const load = useCallback(() => {
    api
      .tokens()
      .then((all) => setTokens(all.filter((t) => !t.revokedAt)))
      .catch((e: unknown) => setFailure(`The API tokens could not be loaded: ${describe(e)}`));
  }, [api]);
  useEffect(load, [load]);
  const form = useSubmit(async () => {
    const created = await api.createToken(name.trim(), readOnly);
    setSecret(created.token);
    setName("");
    load();
  });
  const revoke = async (token: ApiToken) => {
    try {
      await api.revokeToken(token.id);
      onChange(`Revoked ${token.name}.`);
      load();
    } catch (e) {
      setFailure(`Could not revoke ${token.name}: ${describe(e)}`);
    }
  };
  return (
    <section aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">API tokens</h2>
      <p class="amj-subtle">
        For scripts that call <code>/api/v1</code> for this site. A token is shown once, when it is
        created.
      </p>
      {failure && (
        <p class="amj-field-message" role="alert">
          {failure}
        </p>
      )}
      <ul id="amj-token-list" class="amj-linked">
        {tokens?.length === 0 && <li class="amj-subtle">No tokens.</li>}
        {tokens?.map((t) => (
          <li key={t.id}>
            {t.name} ({t.prefix}…{t.readOnly ? ", read-only" : ""}){" "}
            <button
              type="button"
              class="amj-button amj-subtle-button"
              aria-label={`Revoke ${t.name}`}
              onClick={() => void revoke(t)}
            >
              Revoke
            </button>
          </li>
        ))}
      </ul>
      <form id="amj-token-form" class="amj-admin-form" noValidate onSubmit={form.submit}>
        <Field id="amj-token-name" label="Token name" error={form.errors.fields.name}>
          {(p) => <input {...p} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <div class="amj-field amj-check">
          <input
            type="checkbox"
            id="amj-token-readonly"
            checked={readOnly}
            onChange={(e) => setReadOnly(e.currentTarget.checked)}
          />
          <label for="amj-token-readonly">Read-only</label>
        </div>
        <FormError id="amj-token-form-error" message={form.errors.form} />
        <button type="submit" class="amj-button" disabled={form.busy}>
          Create token
        </button>
      </form>
      {secret && (
        <output id="amj-token-secret" class="amj-status-line">
          Copy this token now; it will not be shown again: <code>{secret}</code>
        </output>
      )}
    </section>
  );
}

const PLATFORMS: Record<ConnectionHealth["platform"], string> = {
  connect: "Connect",
  forge: "Forge",
  connect_and_forge: "Connect and Forge",
};

function ConnectionSection({ api, formats }: { api: Api; formats: Formats }) {
  const [health, setHealth] = useState<ConnectionHealth | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    api
      .connection()
      .then(setHealth)
      .catch((e: unknown) =>
        setFailure(`The connection's health could not be loaded: ${describe(e)}`),
      );
  }, [api]);
  return (
    <section aria-labelledby="connection-heading" id="amj-connection">
      <h2 id="connection-heading">Connection to Jira</h2>
      {failure && (
        <p class="amj-field-message" role="alert">
          {failure}
        </p>
      )}
      {health && (
        <>
          <dl class="amj-facts">
            <dt>Platform</dt>
            <dd id="amj-platform">{PLATFORMS[health.platform]}</dd>
            <dt>Site</dt>
            <dd>{health.siteUrl}</dd>
            <dt>Installed</dt>
            <dd>{formats.dateTime(health.installedAt)}</dd>
            <dt>Last secret rotation</dt>
            <dd>{health.lastRotationAt ? formats.dateTime(health.lastRotationAt) : "never"}</dd>
            <dt>Last accepted request</dt>
            <dd>
              {health.lastSuccessAt
                ? formats.dateTime(health.lastSuccessAt)
                : "none since this instance started"}
            </dd>
            <dt>Refused in the last 24 hours</dt>
            <dd id="amj-failures">
              {health.failures.length === 0
                ? "none"
                : health.failures.map((f) => `${f.reason}: ${formats.count(f.count)}`).join(", ")}
            </dd>
          </dl>
          {health.installations.length > 0 && (
            <table class="amj-table" id="amj-installations">
              <caption>Forge installations</caption>
              <thead>
                <tr>
                  <th scope="col">Installation</th>
                  <th scope="col">System token expires</th>
                  <th scope="col">Last event</th>
                  <th scope="col">Last trigger</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {health.installations.map((i) => (
                  <tr key={i.id}>
                    <td>
                      <code>{i.id}</code>
                    </td>
                    <td>
                      {i.tokenExpiresAt ? formats.dateTime(i.tokenExpiresAt) : "no token held"}
                    </td>
                    <td>{i.lastEventAt ? formats.dateTime(i.lastEventAt) : "none yet"}</td>
                    <td>{i.lastTriggerAt ? formats.dateTime(i.lastTriggerAt) : "none yet"}</td>
                    <td>
                      {i.dormantAt
                        ? `dormant since ${formats.dateTime(i.dormantAt)}${i.dormantReason ? ` (${i.dormantReason})` : ""}`
                        : "active"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h3>Lifecycle</h3>
          <ol class="amj-linked" id="amj-lifecycle">
            {health.events.map((e) => (
              <li key={`${e.at}-${e.kind}-${e.detail}`}>
                <span class="amj-subtle">{formats.dateTime(e.at)}</span> {e.kind}: {e.detail}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
