import { Fragment } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type {
  Api,
  Asset,
  AssetCustody,
  AssetType,
  AttributeDef,
  HistoryEntry,
  Holder,
  IssueLink,
  References,
  Status,
} from "../api";
import { CustodyPanel, holderAccounts, holderLabel } from "../components/Custody";
import { InlineEdit } from "../components/InlineEdit";
import { Lozenge } from "../components/Lozenge";
import { Actor, PeopleValue } from "../components/PersonName";
import { ReferenceGraph } from "../components/ReferenceGraph";
import { type Formats, valueText } from "../format";
import { TypeIcon } from "../icons";
import { describe } from "../messages";
import { accountIdsOf, actorLabel, usePeople } from "../people";
import { AssetForm } from "./AssetForm";

type LicencePanelComponent = typeof import("../components/Licence").LicencePanel;
type StockPanelComponent = typeof import("../components/Stock").StockPanel;
type BookingsPanelComponent = typeof import("../components/Bookings").AssetBookings;

/** Whether `typeId` or one of its ancestors is named in `named`. */
function inherits(types: AssetType[], typeId: number, named: number[]): boolean {
  let type = types.find((t) => t.id === typeId);
  for (let depth = 0; type && depth < 64; depth += 1) {
    if (named.includes(type.id)) {
      return true;
    }
    const parent = type.parentId;
    type = types.find((t) => t.id === parent);
  }
  return false;
}

interface Props {
  api: Api;
  assetKey: string;
  formats: Formats;
  /** The signed-in person, whom a booking is for unless another is chosen. */
  viewer?: string | null;
  onBack: () => void;
  /** Shows a linked issue in Jira (through the host: the page cannot navigate Jira itself). */
  onOpenIssue: (key: string) => void;
  /** Opens a referenced asset in place of this one. */
  onOpenAsset?: (key: string) => void;
}

interface Loaded {
  asset: Asset;
  issues: IssueLink[];
  history: HistoryEntry[];
  references: References;
}

/** One asset: its values, the Jira issues it is linked to, and what changed. */
export function AssetDetail({
  api,
  assetKey,
  formats,
  viewer = null,
  onBack,
  onOpenIssue,
  onOpenAsset,
}: Props) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [editing, setEditing] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  // The type's attributes and the schema's statuses, for editing one value in place.
  const [catalog, setCatalog] = useState<{
    schema: string;
    types: AssetType[];
    statuses: Status[];
  } | null>(null);
  const [inline, setInline] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>("attributes");
  // Who holds it; `null` until known, "failed" if it could not be read (the rest still shows).
  const [custody, setCustody] = useState<AssetCustody | "failed" | null>(null);
  // The schema's licence and stock types, and each panel (a chunk of its own) once one is shown.
  const [licensed, setLicensed] = useState<{
    schema: string;
    types: number[];
    stocked: number[];
  } | null>(null);
  const [licencePanel, setLicencePanel] = useState<{ panel: LicencePanelComponent } | null>(null);
  const [bookingsPanel, setBookingsPanel] = useState<{ panel: BookingsPanelComponent } | null>(
    null,
  );
  const [stockPanel, setStockPanel] = useState<{ panel: StockPanelComponent } | null>(null);
  // After an in-place edit closes, focus returns to that attribute's Edit button.
  const refocus = useRef<string | null>(null);
  // The asset the page shows now, for answers that arrive after another was opened.
  const shownKeyRef = useRef(assetKey);
  shownKeyRef.current = assetKey;

  useEffect(() => {
    let current = true;
    setFailure(null);
    Promise.all([
      api.asset(assetKey),
      api.assetIssues(assetKey),
      api.history(assetKey),
      api.references(assetKey),
    ])
      .then(([asset, issues, history, references]) => {
        if (current) {
          setLoaded({ asset, issues, history, references });
        }
      })
      .catch((error: unknown) => {
        if (current) {
          setFailure(`Could not load ${assetKey}: ${describe(error)}`);
        }
      });
    return () => {
      current = false;
    };
  }, [api, assetKey, attempt]);
  useEffect(() => {
    let current = true;
    // Another asset's check-out (and its Check in button) must not show while this one loads.
    setCustody(null);
    api
      .custody(assetKey)
      .then((found) => current && setCustody(found))
      .catch(() => current && setCustody("failed"));
    return () => {
      current = false;
    };
  }, [api, assetKey, attempt]);
  // Focus goes to the heading when an asset is shown, not when its values or history refresh.
  const shownKey = loaded ? `${loaded.asset.key}:${attempt}` : null;
  useEffect(() => {
    if (shownKey !== null) {
      heading.current?.focus();
    }
  }, [shownKey]);
  const schema = loaded?.asset.schema ?? null;
  useEffect(() => {
    if (schema === null || catalog?.schema === schema) {
      return;
    }
    Promise.all([api.types(schema), api.statuses(schema)])
      .then(([types, statuses]) => setCatalog({ schema, types, statuses }))
      // Without the catalog the values still show; only editing in place is missing.
      .catch(() => setCatalog(null));
  }, [api, schema, catalog]);
  useEffect(() => {
    if (schema === null || licensed?.schema === schema) {
      return;
    }
    // Without a policy the asset still shows; only its licence or stock panel is missing.
    Promise.all([
      api.licencePolicy(schema).catch(() => null),
      api.stockPolicy(schema).catch(() => null),
    ]).then(([licences, stock]) =>
      setLicensed({
        schema,
        types: Array.isArray(licences?.licensedTypes) ? licences.licensedTypes : [],
        stocked: [stock?.consumableTypes, stock?.accessoryTypes, stock?.componentTypes].flatMap(
          (list) => (Array.isArray(list) ? list : []),
        ),
      }),
    );
  }, [api, schema, licensed]);
  const isLicence =
    loaded !== null &&
    catalog !== null &&
    licensed?.schema === loaded.asset.schema &&
    loaded.asset.type.id !== undefined &&
    inherits(catalog.types, loaded.asset.type.id, licensed.types);
  const isStock =
    loaded !== null &&
    catalog !== null &&
    licensed?.schema === loaded.asset.schema &&
    loaded.asset.type.id !== undefined &&
    inherits(catalog.types, loaded.asset.type.id, licensed.stocked);
  useEffect(() => {
    if (isStock && stockPanel === null) {
      import("../components/Stock")
        .then((m) => setStockPanel({ panel: m.StockPanel }))
        .catch(() => setStockPanel(null));
    }
  }, [isStock, stockPanel]);
  // Bookings are for assets that can be checked out: their panel's code comes with the first.
  const bookable = custody !== null && custody !== "failed" && custody.checkoutable;
  useEffect(() => {
    if (bookable && bookingsPanel === null) {
      import("../components/Bookings")
        .then((m) => setBookingsPanel({ panel: m.AssetBookings }))
        .catch(() => setBookingsPanel(null));
    }
  }, [bookable, bookingsPanel]);
  useEffect(() => {
    if (isLicence && licencePanel === null) {
      import("../components/Licence")
        .then((m) => setLicencePanel({ panel: m.LicencePanel }))
        .catch(() => setLicencePanel(null));
    }
  }, [isLicence, licencePanel]);
  useEffect(() => {
    if (inline === null && refocus.current !== null) {
      document
        .querySelector<HTMLElement>(`[data-edit-attribute="${CSS.escape(refocus.current)}"]`)
        ?.focus();
      refocus.current = null;
    }
  }, [inline]);
  // Jira user attributes hold accountIds: they, like the actors, are shown as people.
  const userAttributes = new Set(
    (catalog?.types.find((t) => t.id === loaded?.asset.type.id)?.attributes ?? [])
      .filter((a) => a.kind === "jira_user")
      .map((a) => a.name),
  );
  const names = usePeople(
    api,
    loaded
      ? [
          loaded.asset.updated.by,
          loaded.asset.created.by,
          ...loaded.history.map((e) => e.actor),
          ...loaded.history.flatMap((e) => {
            const who =
              (e as { assignee?: { accountId?: string } }).assignee?.accountId ??
              (e as { accountId?: string }).accountId;
            return who ? [who] : [];
          }),
          ...[...userAttributes].flatMap((name) => accountIdsOf(loaded.asset.attributes[name])),
          ...(typeof custody === "object" && custody !== null
            ? holderAccounts([
                custody.custody?.holder,
                custody.effectiveHolder,
                ...custody.loans.map((l) => l.holder),
                custody.reservation
                  ? { kind: "user" as const, accountId: custody.reservation.accountId }
                  : null,
              ])
            : []),
          ...holderAccounts(
            loaded.history.map((e) => (e as HistoryEntry & { holder?: Holder }).holder),
          ),
          ...loaded.history.flatMap((e) => {
            const change = e as HistoryEntry & Record<string, unknown>;
            return e.kind === "attribute_changed" && userAttributes.has(String(change.attribute))
              ? [...accountIdsOf(change.old), ...accountIdsOf(change.new)]
              : [];
          }),
        ]
      : [],
  );

  const back = (
    <button type="button" id="amj-back" class="amj-button amj-subtle-button" onClick={onBack}>
      Back to the list
    </button>
  );
  if (failure) {
    return (
      <div>
        {back}
        <div id="amj-error" class="amj-error" role="alert">
          <p id="amj-error-text">{failure}</p>
          <button
            type="button"
            id="amj-retry"
            class="amj-button"
            onClick={() => setAttempt((n) => n + 1)}
          >
            Retry
          </button>
        </div>
      </div>
    );
  }
  if (!loaded) {
    return <p class="amj-subtle">Loading {assetKey}…</p>;
  }
  const { asset, issues, history, references } = loaded;
  const archiveOrRestore = async () => {
    setActionError(null);
    try {
      await (asset.archived
        ? api.restore(asset.key, asset.version)
        : api.archive(asset.key, asset.version));
      setLoaded(null);
      setAttempt((n) => n + 1);
    } catch (error) {
      setActionError(
        `Could not ${asset.archived ? "restore" : "archive"} ${asset.key}: ${describe(error)}`,
      );
    }
  };
  if (editing) {
    return (
      <AssetForm
        api={api}
        formats={formats}
        schema={asset.schema}
        asset={asset}
        onSaved={() => {
          setEditing(false);
          setLoaded(null);
          setAttempt((n) => n + 1);
        }}
        onCancel={() => setEditing(false)}
      />
    );
  }
  const typeAttributes = catalog?.types.find((t) => t.id === asset.type.id)?.attributes ?? null;
  // With the catalog, every attribute of the type (empty ones can be filled in place).
  const values: [string, unknown, AttributeDef | null][] = typeAttributes
    ? typeAttributes.map((a) => [a.name, asset.attributes[a.name], a])
    : Object.entries(asset.attributes).map(([name, value]) => [name, value, null]);
  const closeInline = (name: string) => {
    refocus.current = name;
    setInline(null);
  };
  const savedInline = (name: string, saved: Asset) => {
    setLoaded((current) => (current ? { ...current, asset: saved } : current));
    closeInline(name);
    api
      .history(saved.key)
      .then((entries) =>
        setLoaded((current) => (current ? { ...current, history: entries } : current)),
      )
      .catch(() => {});
  };
  return (
    <article id="amj-detail" aria-labelledby="amj-detail-title">
      {back}{" "}
      <button
        type="button"
        id="amj-edit"
        class="amj-button"
        onClick={() => setEditing(true)}
        disabled={asset.archived}
      >
        Edit
      </button>{" "}
      <button
        type="button"
        id="amj-archive"
        class="amj-button amj-subtle-button"
        onClick={() => void archiveOrRestore()}
      >
        {asset.archived ? "Restore" : "Archive"}
      </button>
      {actionError && (
        <p id="amj-action-error" class="amj-field-message" role="alert">
          {actionError}
        </p>
      )}
      <h1 id="amj-detail-title" ref={heading} tabIndex={-1}>
        <TypeIcon
          icon={catalog?.types.find((t) => t.id === asset.type.id)?.icon ?? null}
          size={20}
        />{" "}
        <span class="amj-subtle">{asset.key}</span> {asset.label}{" "}
        <Lozenge name={asset.status.name} category={asset.status.category} />
        {asset.archived && (
          <>
            {" "}
            <span class="amj-lozenge amj-status-none" id="amj-archived">
              Archived
            </span>
          </>
        )}
      </h1>
      <p class="amj-subtle">
        {asset.type.name} · updated {formats.dateTime(asset.updated.at)} by{" "}
        <span id="amj-detail-updated-by">
          <Actor actor={asset.updated.by} people={names} />
        </span>
        {asset.retired && (
          <span id="amj-detail-retired"> · retired {formats.dateTime(asset.retired)}</span>
        )}
      </p>
      {custody === "failed" ? (
        <p class="amj-subtle" id="amj-custody-failed">
          Who holds this asset could not be read just now.
        </p>
      ) : (
        custody && (
          <CustodyPanel
            api={api}
            assetKey={asset.key}
            custody={custody}
            people={names}
            formats={formats}
            disabled={asset.archived}
            onChanged={() => {
              setLoaded(null);
              setAttempt((n) => n + 1);
            }}
          />
        )
      )}
      {bookable && bookingsPanel && (
        <bookingsPanel.panel
          api={api}
          assetKey={asset.key}
          formats={formats}
          viewer={viewer}
          disabled={asset.archived || Boolean(asset.retired)}
          onChanged={() => {
            // In place, so the bookings section (its status line, its focus) stays: a pickup
            // or return moves the asset's custody, status and history.
            // Only while this asset is still the one shown: another may have been opened.
            const key = asset.key;
            api
              .custody(key)
              .then((found) => shownKeyRef.current === key && setCustody(found))
              .catch(() => shownKeyRef.current === key && setCustody("failed"));
            Promise.all([api.asset(key), api.history(key)])
              .then(([fresh, history]) =>
                setLoaded((l) =>
                  l === null || l.asset.key !== key ? l : { ...l, asset: fresh, history },
                ),
              )
              .catch(() => setAttempt((n) => n + 1));
          }}
        />
      )}
      {isLicence && licencePanel && (
        <licencePanel.panel
          api={api}
          assetKey={asset.key}
          label={asset.label}
          formats={formats}
          disabled={asset.archived}
          onChanged={() => {
            // Only the history changes with a licence: the rest of the page stays as it is.
            api
              .history(asset.key)
              .then((history) => setLoaded((l) => (l === null ? l : { ...l, history })))
              .catch(() => {});
          }}
        />
      )}
      {isStock && stockPanel && (
        <stockPanel.panel
          api={api}
          assetKey={asset.key}
          formats={formats}
          disabled={asset.archived}
          onChanged={() => {
            // Only the history changes with stock: the rest of the page stays as it is.
            api
              .history(asset.key)
              .then((history) => setLoaded((l) => (l === null ? l : { ...l, history })))
              .catch(() => {});
          }}
        />
      )}
      <TabList
        tab={tab}
        onTab={setTab}
        counts={{
          references: references.outbound.length + references.inbound.length,
          issues: issues.length,
        }}
      />
      <div
        role="tabpanel"
        id="amj-panel-attributes"
        aria-labelledby="amj-tab-attributes"
        hidden={tab !== "attributes"}
      >
        {values.length === 0 ? (
          <p class="amj-subtle">No values yet.</p>
        ) : (
          <dl class="amj-facts" id="amj-detail-attributes">
            {values.map(([name, value, attribute]) => (
              <Fragment key={name}>
                <dt>{name}</dt>
                <dd>
                  {attribute && inline === name && catalog ? (
                    <InlineEdit
                      api={api}
                      asset={asset}
                      attribute={attribute}
                      statuses={catalog.statuses}
                      formats={formats}
                      onSaved={(saved) => savedInline(name, saved)}
                      onClose={() => closeInline(name)}
                    />
                  ) : (
                    <>
                      <span data-value={name}>
                        {attribute?.kind === "jira_user" && accountIdsOf(value).length > 0 ? (
                          <PeopleValue ids={accountIdsOf(value)} people={names} />
                        ) : attribute?.kind === "reference" && referenceKeys(value).length > 0 ? (
                          referenceKeys(value).map((key, i) => {
                            const target = references.outbound.find(
                              (r) => r.attribute === name && r.key === key,
                            );
                            return (
                              <Fragment key={key}>
                                {i > 0 && ", "}
                                {onOpenAsset && target?.label != null ? (
                                  <button
                                    type="button"
                                    class="amj-link-button"
                                    data-value-reference={key}
                                    onClick={() => onOpenAsset(key)}
                                  >
                                    {key}
                                  </button>
                                ) : (
                                  key
                                )}
                                {target?.label != null && ` ${target.label}`}
                                {target?.archived && <span class="amj-subtle"> (archived)</span>}
                              </Fragment>
                            );
                          })
                        ) : (
                          valueText(value) || <span class="amj-subtle">—</span>
                        )}
                      </span>
                      {attribute && !asset.archived && (
                        <>
                          {" "}
                          <button
                            type="button"
                            class="amj-link-button amj-edit-inline"
                            data-edit-attribute={name}
                            aria-label={`Edit ${name}`}
                            onClick={() => setInline(name)}
                          >
                            Edit
                          </button>
                        </>
                      )}
                    </>
                  )}
                </dd>
              </Fragment>
            ))}
          </dl>
        )}
      </div>
      <div
        role="tabpanel"
        id="amj-panel-references"
        aria-labelledby="amj-tab-references"
        hidden={tab !== "references"}
      >
        {tab === "references" && (
          <ReferenceGraph
            api={api}
            center={{ key: asset.key, label: asset.label }}
            references={references}
            onOpenAsset={onOpenAsset}
          />
        )}
        <div id="amj-detail-references">
          {(
            [
              ["Refers to", references.outbound],
              ["Referred to by", references.inbound],
            ] as const
          ).map(([title, entries]) => (
            <section key={title} aria-label={title}>
              <h3>{title}</h3>
              {entries.length === 0 ? (
                <p class="amj-subtle">Nothing.</p>
              ) : (
                <ul class="amj-linked">
                  {entries.map((entry) => (
                    <li key={`${entry.attribute}:${entry.key}`}>
                      <span class="amj-subtle">{entry.referenceType}</span>{" "}
                      {onOpenAsset && entry.label !== null ? (
                        <button
                          type="button"
                          class="amj-link-button"
                          data-reference={entry.key}
                          onClick={() => onOpenAsset(entry.key)}
                        >
                          {entry.key}
                        </button>
                      ) : (
                        <strong>{entry.key}</strong>
                      )}{" "}
                      {entry.label ?? "(deleted)"}
                      {entry.archived && <span class="amj-subtle"> (archived)</span>}
                    </li>
                  ))}
                </ul>
              )}
            </section>
          ))}
        </div>
      </div>
      <div
        role="tabpanel"
        id="amj-panel-issues"
        aria-labelledby="amj-tab-issues"
        hidden={tab !== "issues"}
      >
        <ul id="amj-detail-issues" class="amj-linked">
          {issues.length === 0 && <li class="amj-subtle">Not linked to any issue.</li>}
          {issues.map((issue) => (
            <li key={issue.issueId}>
              <button
                type="button"
                class="amj-link-button"
                data-issue={issue.issueKey}
                onClick={() => onOpenIssue(issue.issueKey)}
              >
                {issue.issueKey}
              </button>{" "}
              {issue.issueSummary}
            </li>
          ))}
        </ul>
      </div>
      <div
        role="tabpanel"
        id="amj-panel-history"
        aria-labelledby="amj-tab-history"
        hidden={tab !== "history"}
      >
        <ol id="amj-detail-history" class="amj-linked">
          {history.map((entry) => (
            <li key={entry.id}>
              <span class="amj-subtle">
                {formats.dateTime(entry.at)}, <Actor actor={entry.actor} people={names} />:
              </span>{" "}
              {historyText(
                entry,
                (value) =>
                  userAttributes.has(
                    String((entry as HistoryEntry & { attribute?: unknown }).attribute),
                  )
                    ? accountIdsOf(value)
                        .map((id) => actorLabel(id, names))
                        .join(", ")
                    : valueText(value),
                (holder) => holderLabel(holder, names),
                (iso) => formats.dateTime(iso),
              )}
            </li>
          ))}
        </ol>
      </div>
    </article>
  );
}

type Tab = "attributes" | "references" | "issues" | "history";

const TABS: [Tab, string][] = [
  ["attributes", "Attributes"],
  ["references", "References"],
  ["issues", "Jira issues"],
  ["history", "History"],
];

/**
 * The detail's tabs, as the ARIA tabs pattern has them: one tab stop, the arrows (and Home and
 * End) move between tabs and show each at once.
 */
function TabList({
  tab,
  onTab,
  counts,
}: {
  tab: Tab;
  onTab: (tab: Tab) => void;
  counts: { references: number; issues: number };
}) {
  const move = (event: KeyboardEvent) => {
    const at = TABS.findIndex(([t]) => t === tab);
    const next =
      event.key === "ArrowRight"
        ? (at + 1) % TABS.length
        : event.key === "ArrowLeft"
          ? (at + TABS.length - 1) % TABS.length
          : event.key === "Home"
            ? 0
            : event.key === "End"
              ? TABS.length - 1
              : null;
    const chosen = next === null ? undefined : TABS[next];
    if (chosen) {
      event.preventDefault();
      onTab(chosen[0]);
      document.getElementById(`amj-tab-${chosen[0]}`)?.focus();
    }
  };
  return (
    <div role="tablist" aria-label="About this asset" class="amj-tabs" onKeyDown={move}>
      {TABS.map(([id, name]) => {
        const count =
          id === "references" ? counts.references : id === "issues" ? counts.issues : null;
        return (
          <button
            key={id}
            type="button"
            role="tab"
            id={`amj-tab-${id}`}
            class="amj-tab"
            aria-selected={tab === id}
            aria-controls={`amj-panel-${id}`}
            tabIndex={tab === id ? 0 : -1}
            onClick={() => onTab(id)}
          >
            {name}
            {count !== null && <span class="amj-count"> {count}</span>}
          </button>
        );
      })}
    </div>
  );
}

/** The asset keys a reference attribute's value holds (one, or a list). */
export function referenceKeys(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values.filter((v): v is string => typeof v === "string" && v !== "");
}

/** One history entry in words; `text` says a changed value (people by name, not accountId). */
export function historyText(
  entry: HistoryEntry,
  text: (value: unknown) => string = valueText,
  holder: (holder: Holder) => string = (h) => (h.kind === "user" ? "someone" : h.key),
  when: (iso: string) => string = (iso) => iso,
): string {
  const e = entry as HistoryEntry & Record<string, unknown>;
  switch (entry.kind) {
    case "created":
      return "Created.";
    case "attribute_changed":
      return `${String(e.attribute)}: ${text(e.old) || "(empty)"} → ${text(e.new) || "(empty)"}.`;
    case "status_changed":
      return `Status: ${String(e.old)} → ${String(e.new)}.`;
    case "type_changed":
      return `Type: ${String(e.old)} → ${String(e.new)}.`;
    case "linked":
      return `Linked to ${String(e.issueKey)}.`;
    case "unlinked":
      return `Unlinked from ${String(e.issueKey)}.`;
    case "checked_out": {
      const due = e.due ? `, due ${String(e.due)}` : "";
      const issue = e.issue ? `, for ${String(e.issue)}` : "";
      const note = e.note ? ` “${String(e.note)}”` : "";
      return `Checked out to ${holder(e.holder as Holder)}${due}${issue}.${note}`;
    }
    case "licence_changed": {
      const terms = e.terms as { product?: string; entitled?: number } | undefined;
      return `Licence: ${String(terms?.product)}, ${String(terms?.entitled)} seats.`;
    }
    case "seat_assigned":
    case "seat_released": {
      const who = e.assignee as { kind: string; accountId?: string; key?: string } | undefined;
      const name =
        who?.kind === "user"
          ? holder({ kind: "user", accountId: String(who.accountId) })
          : String(who?.key);
      const issue = e.issue ? `, for ${String(e.issue)}` : "";
      return entry.kind === "seat_assigned"
        ? `Seat assigned to ${name}${issue}.`
        : `Seat of ${name} freed.`;
    }
    case "stock_received":
    case "stock_issued":
    case "stock_returned":
    case "stock_moved":
    case "stock_counted":
    case "stock_minimum_changed":
      return stockHistoryText(e, holder);
    case "checked_in": {
      const note = e.note ? ` “${String(e.note)}”` : "";
      return `Checked in from ${holder(e.holder as Holder)}, ${String(e.condition)}.${note}`;
    }
    case "booked":
      return `Booked for ${holder({ kind: "user", accountId: String(e.accountId) })}: ${when(String(e.start))} – ${when(String(e.end))} (booking #${String(e.booking)}).`;
    case "booking_cancelled":
      return `Booking #${String(e.booking)} cancelled.`;
    case "reserved":
      return `Reserved for ${holder({ kind: "user", accountId: String(e.accountId) })}: request #${String(e.request)} on ${String(e.issue)}.`;
    case "unreserved":
      return `No longer reserved for request #${String(e.request)} on ${String(e.issue)}: ${String(e.why).replaceAll("_", " ")}.`;
    default:
      return entry.kind.replaceAll("_", " ");
  }
}

/** A stock movement of the history in words. */
function stockHistoryText(e: Record<string, unknown>, holder: (holder: Holder) => string): string {
  const party = (value: unknown) => {
    const who = value as { kind: string; accountId?: string; key?: string } | undefined;
    return who?.kind === "user"
      ? holder({ kind: "user", accountId: String(who.accountId) })
      : String(who?.key);
  };
  const issue = e.issue ? `, for ${String(e.issue)}` : "";
  const note = e.note ? ` “${String(e.note)}”` : "";
  const at = (field: string) => String(e[field]);
  switch (e.kind) {
    case "stock_received":
      return `Received ${at("quantity")} at ${at("location")} (now ${at("level")})${issue}.${note}`;
    case "stock_issued":
      return `Issued ${at("quantity")} from ${at("location")} to ${party(e.to)}${issue}.${note}`;
    case "stock_returned":
      return `${party(e.from)} returned ${at("quantity")} to ${at("location")}.${note}`;
    case "stock_moved":
      return `Moved ${at("quantity")} from ${at("from")} to ${at("to")}.${note}`;
    case "stock_counted":
      return `Counted ${at("after")} at ${at("location")} (the books said ${at("before")}).${note}`;
    default:
      return `Minimum at ${at("location")}: ${at("old")} → ${at("new")}.`;
  }
}
