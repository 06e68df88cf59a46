import type { Host } from "./host";
import type { Person } from "./people";

/** Our API's error envelope, `{"error":{"code","message","details"?}}`, plus an AQL excerpt. */
export interface ApiErrorBody {
  code: string;
  message: string;
  aql?: { excerpt?: string };
  details?: FieldError[];
}

/** A validation error that names the field (the request body's property) it is about. */
export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Where an AQL query went wrong, ready to show under the query. */
  readonly aqlExcerpt: string | null;
  /** Per-field validation errors, to show next to their fields. */
  readonly fields: FieldError[];

  constructor(status: number, body: unknown) {
    const error = errorBody(body);
    super(error?.message ?? `The server answered HTTP ${status}.`);
    this.status = status;
    this.code = error?.code ?? "http_error";
    this.aqlExcerpt = error?.aql?.excerpt ?? null;
    this.fields = error?.details ?? [];
  }
}

function errorBody(body: unknown): ApiErrorBody | null {
  if (typeof body !== "object" || body === null || !("error" in body)) {
    return null;
  }
  const error = (body as { error: unknown }).error;
  if (typeof error !== "object" || error === null) {
    return null;
  }
  const { code, message, aql, details } = error as Record<string, unknown>;
  if (typeof code !== "string" || typeof message !== "string") {
    return null;
  }
  const result: ApiErrorBody = { code, message };
  if (Array.isArray(details)) {
    result.details = details.filter(
      (d): d is FieldError =>
        typeof d === "object" &&
        d !== null &&
        typeof (d as FieldError).field === "string" &&
        typeof (d as FieldError).message === "string",
    );
  }
  if (typeof aql === "object" && aql !== null) {
    const excerpt = (aql as Record<string, unknown>).excerpt;
    result.aql = typeof excerpt === "string" ? { excerpt } : {};
  }
  return result;
}

export type StatusCategory = "available" | "in_use" | "maintenance" | "retired";

/** `IssueAssetBody` in the OpenAPI document. */
export interface LinkedAsset {
  key: string;
  id: number;
  label: string;
  archived: boolean;
  status: { name: string; category: StatusCategory };
}

/** The fields of `AssetBody` the pages read. */
export interface AssetSummary {
  key: string;
  id: number;
  label: string;
  type: { id?: number; name: string | null };
  status: { id?: number; name: string | null; category: StatusCategory | null };
  updated: Stamp;
  version: number;
  /** Values by attribute name, for the chosen columns. */
  attributes?: Record<string, unknown>;
  /** The check-out in force; null when it is in (absent from older answers). */
  custody?: Custody | null;
  /** For a licence with terms: its seats. */
  seats?: { entitled: number; assigned: number; free: number } | null;
  /** For a stock item whose stock moved: its totals. */
  stock?: StockCounts | null;
}

/** `AssetBody`: an asset with its values by attribute name. */
export interface Asset extends AssetSummary {
  schema: string;
  attributes: Record<string, unknown>;
  archived: boolean;
  created: Stamp;
  /** When it moved into its Retired-category status; null in any other status. */
  retired?: string | null;
}

export interface Stamp {
  at: string | null;
  by: string;
}

export interface Schema {
  id: number;
  key: string;
  name: string;
  description: string;
}

/** `IssueLink`: a Jira issue linked to an asset. */
export interface IssueLink {
  issueId: number;
  issueKey: string;
  issueSummary: string;
  linkedAt: number;
  linkedBy: string;
}

/** `HistoryEntryBody`, tagged by `kind`. */
export type HistoryEntry = { id: number; at: string | null; actor: string } & (
  | { kind: "created" }
  | { kind: "attribute_changed"; attribute: string; old: unknown; new: unknown }
  | { kind: "status_changed"; old: string; new: string }
  | { kind: "type_changed"; old: string; new: string }
  | { kind: "linked"; issueKey: string }
  | { kind: "unlinked"; issueKey: string }
  | { kind: "checked_out"; holder: Holder; due: string | null; issue: string | null; note: string }
  | {
      kind: "checked_in";
      holder: Holder;
      condition: Condition;
      issue: string | null;
      note: string;
    }
  | { kind: "licence_changed"; terms: LicenceTerms }
  | { kind: "seat_assigned"; assignee: Assignee; issue: string | null; note: string }
  | { kind: "seat_released"; assignee: Assignee; note: string }
  | { kind: "stock_received"; location: string; quantity: number; level: number }
  | {
      kind: "stock_issued";
      location: string;
      quantity: number;
      level: number;
      to: Assignee;
      issue: string | null;
    }
  | { kind: "stock_returned"; location: string; quantity: number; level: number; from: Assignee }
  | { kind: "stock_moved"; from: string; to: string; quantity: number }
  | { kind: "stock_counted"; location: string; before: number; after: number }
  | { kind: "stock_minimum_changed"; location: string; old: number; new: number }
  | { kind: "booked"; booking: number; accountId: string; start: string; end: string }
  | { kind: "booking_cancelled"; booking: number }
  | { kind: string }
);

/** Who or what holds an asset: a person (by accountId), a location, or a carrying asset. */
export type Holder =
  | { kind: "user"; accountId: string }
  | { kind: "location"; key: string }
  | { kind: "asset"; key: string };

export type Condition = "good" | "worn" | "damaged" | "lost";

/** The check-out in force. */
export interface Custody {
  holder: Holder;
  since: string;
  by: string;
  due: string | null;
  issue: string | null;
  note: string;
}

/** A check-out that ended. */
export interface Loan extends Custody {
  returnedAt: string;
  returnedBy: string;
  condition: Condition;
  returnNote: string;
}

export interface AssetCustody {
  checkoutable: boolean;
  custody: Custody | null;
  /** The person or location it is really with (a carrier's holder, for a dock on a laptop). */
  effectiveHolder: Holder | null;
  carriers: string[];
  loans: Loan[];
  /** The approved request it is set aside for, if any: only that request's hand-out takes it. */
  reservation?: { request: number; issue: string; accountId: string } | null;
}

/** An asset that is out, as the "my assets" and overdue lists show it. */
export interface HeldAsset {
  asset: string;
  label: string;
  custody: Custody;
}

/** An asset handed out for an issue: out now (`returned` null), or back. */
export interface HandedOut {
  asset: string;
  label: string;
  custody: Custody;
  returned: { at: string; by: string; condition: Condition; note: string } | null;
}

export interface CheckoutDraft {
  holder: Holder;
  due?: string;
  issue?: string;
  note?: string;
}

export interface CustodyPolicy {
  checkoutableTypes: number[];
  checkedOutStatus: number | null;
  availableStatus: number | null;
}

export interface LicencePolicy {
  licensedTypes: number[];
  /** A reference attribute pointing at licences: each asset pointing at one is an install. */
  installedAttribute: number | null;
}

export interface LicenceTerms {
  product: string;
  entitled: number;
  allowOveruse: boolean;
  expires: string | null;
  renews: string | null;
  costPerSeat: number | null;
  currency: string | null;
}

export interface Compliance {
  entitled: number;
  assigned: number;
  installed: number;
  free: number;
  gap: number;
  breach: boolean;
}

export interface Licence {
  asset: string;
  label: string;
  terms: LicenceTerms;
  compliance: Compliance;
  expired: boolean;
  totalCost?: number;
}

/** Who holds a seat: a person (by accountId) or an asset. */
export type Assignee = { kind: "user"; accountId: string } | { kind: "asset"; key: string };

export interface Seat {
  assignee: Assignee;
  assignedAt: string;
  by: string;
  issue: string | null;
  note: string;
}

/** A licence seat given for a Jira issue. */
export interface IssueSeat {
  licence: string;
  label: string;
  assignee: Assignee;
  assignedAt: string;
}

export interface ProductCompliance {
  product: string;
  licences: number;
  compliance: Compliance;
}

export interface ReclaimableSeat {
  licence: string;
  licenceLabel: string;
  accountId: string;
  displayName: string;
  assignedAt: string;
}

export type StockKind = "consumable" | "accessory" | "component";

export interface StockPolicy {
  consumableTypes: number[];
  accessoryTypes: number[];
  componentTypes: number[];
}

export interface StockCounts {
  /** On the shelves, all locations together. */
  quantity: number;
  /** Issued and not yet back (accessories and components). */
  issued: number;
  /** Locations holding less than their minimum. */
  belowMinimum: number;
}

export interface StockLevel {
  location: string;
  locationLabel: string;
  quantity: number;
  minimum: number;
  belowMinimum: boolean;
}

export interface ItemStock {
  asset: string;
  kind: StockKind;
  counts: StockCounts;
  levels: StockLevel[];
  out: { assignee: Assignee; quantity: number; since: string }[];
}

/** One movement of an item's stock, as the API takes it. */
export type Movement =
  | { kind: "receive"; location: string; quantity: number; issue?: string; note?: string }
  | {
      kind: "issue";
      location: string;
      quantity: number;
      to: Assignee;
      issue?: string;
      note?: string;
    }
  | { kind: "return"; location: string; quantity: number; from: Assignee; note?: string }
  | { kind: "move"; from: string; to: string; quantity: number; note?: string }
  | { kind: "count"; location: string; counted: number; note?: string };

/** Stock issued for a Jira issue (one movement). */
export interface IssueStock {
  item: string;
  itemLabel: string;
  location: string;
  party?: Assignee;
  quantity: number;
  at: string;
}

/** What "My assets" shows: check-outs, licence seats and lent stock. */
export interface MyAssets {
  items: HeldAsset[];
  seats: { licence: string; label: string; assignedAt: string }[];
  stock: { item: string; label: string; quantity: number; since: string }[];
}

/** How an issue's status approves or rejects the requests made from it. */
export interface ApprovalPolicy {
  project: string;
  approveCategory: "indeterminate" | "done" | null;
  approveStatuses: string[];
  rejectStatuses: string[];
}

/** What a request asks for: an asset of a type, or a kit. */
export type Wanted = { kind: "type"; typeId: number } | { kind: "kit"; kit: number };

export type RequestState = "pending" | "approved" | "fulfilled" | "released";

export type ReleaseWhy =
  | "rejected"
  | "closed"
  | "cancelled"
  | "issue_deleted"
  | "unapproved"
  | "picked_other";

/** One step of a request's path. */
export type RequestEvent =
  | { kind: "requested"; what: string; accountId: string; note: string }
  | { kind: "approved"; status: string }
  | { kind: "reserved"; assets: string[] }
  | { kind: "none_free" }
  | { kind: "unapproved"; status: string }
  | { kind: "released"; why: ReleaseWhy; status: string | null; note: string }
  | { kind: "fulfilled"; assets: string[] };

/** A request made on an issue, approved by the issue's workflow. */
export interface AssetRequest {
  id: number;
  schema: string;
  issue: string;
  wanted: Wanted;
  what: string;
  accountId: string;
  note: string;
  state: RequestState;
  issueStatus: string;
  reserved: { part: number; asset: string; label: string }[];
  createdAt: string;
  createdBy: string;
  history?: { at: string; actor: string; event: RequestEvent }[];
}

/** One part of a kit. */
export type KitPart =
  | { kind: "asset"; typeId: number }
  | { kind: "seat"; licence: string }
  | { kind: "stock"; item: string; location: string; quantity: number };

export interface KitDraft {
  name: string;
  description: string;
  parts: KitPart[];
}

export interface Kit extends KitDraft {
  id: number;
}

/** Handing a kit to a person; asset parts not picked by hand are picked by rule. */
export interface KitCheckout {
  accountId: string;
  due?: string | null;
  issue?: string;
  note?: string;
  picks?: { part: number; asset: string }[];
}

export interface KitHandout {
  kit: string;
  assets: { asset: string; label: string; custody: Custody }[];
  seats: string[];
  stock: { item: string; quantity: number }[];
}

/** A booking's state as stored, and as read against the clock. */
export type BookingState = "booked" | "picked_up" | "returned" | "cancelled";
export type BookingPhase =
  | "upcoming"
  | "ready"
  | "missed"
  | "out"
  | "late"
  | "returned"
  | "cancelled";

/**
 * Booking assets, or a kit, for a person. Times are local (`2030-03-03T09:00`) or dates in
 * `timeZone`, or RFC 3339; a date alone as the end means the end of that day.
 */
export interface BookingDraft {
  accountId: string;
  start: string;
  end: string;
  assets?: string[];
  kit?: number;
  timeZone?: string;
  issue?: string;
  note?: string;
}

export interface Booking {
  id: number;
  accountId: string;
  start: string;
  end: string;
  timeZone: string;
  state: BookingState;
  phase: BookingPhase;
  kit: { id: number; name: string } | null;
  issue: string | null;
  note: string;
  assets: {
    key: string;
    label: string;
    typeId: number;
    part: number | null;
    returnedAt: string | null;
  }[];
  createdAt: string;
  createdBy: string;
  pickedUpAt: string | null;
  pickedUpBy: string | null;
  closedAt: string | null;
  closedBy: string | null;
}

/** Which bookings, or which free assets, over a window read in `timeZone`. */
export interface BookingWindow {
  from: string;
  to: string;
  timeZone?: string;
  typeId?: number;
  location?: string;
  aql?: string;
  asset?: string;
  accountId?: string;
  limit?: number;
}

export interface FreeAsset {
  key: string;
  label: string;
  typeId: number;
  status: string;
}

export interface BelowMinimum {
  item: string;
  itemLabel: string;
  location: string;
  locationLabel: string;
  quantity: number;
  minimum: number;
  short: number;
}

export type AttributeKind =
  | "text"
  | "textarea"
  | "integer"
  | "decimal"
  | "boolean"
  | "date"
  | "datetime"
  | "url"
  | "email"
  | "ip_address"
  | "select"
  | "jira_user"
  | "jira_project"
  | "reference"
  | "status";

export interface AttributeDef {
  id: number;
  typeId: number;
  name: string;
  kind: AttributeKind;
  required: boolean;
  unique: boolean;
  /** Select: its options. */
  options?: string[];
  /** Select and Jira user: more than one value. */
  multiple?: boolean;
  /** Integer and decimal: the bounds; reference: how many (1 is single-valued; absent is unbounded). */
  min?: number | null;
  max?: number | null;
  /** Text: the pattern a whole value must match. */
  regex?: string | null;
  /** Reference: the target type, and how the link reads. */
  targetType?: number;
  referenceType?: string;
  description?: string;
}

export interface AssetType {
  id: number;
  name: string;
  parentId: number | null;
  isAbstract: boolean;
  attributes: AttributeDef[];
  icon?: string;
  description?: string;
  labelAttributeId?: number | null;
}

export interface Status {
  id: number;
  name: string;
  category: StatusCategory;
}

export interface ApiToken {
  id: number;
  name: string;
  prefix: string;
  readOnly: boolean;
  revokedAt: number | string | null;
}

export interface ConnectionHealth {
  platform: "connect" | "forge" | "connect_and_forge";
  siteUrl: string;
  installedAt: string | null;
  lastRotationAt: string | null;
  lastSuccessAt: string | null;
  failures: { reason: string; count: number }[];
  events: { at: string | null; kind: string; detail: string }[];
  installations: {
    id: string;
    tokenExpiresAt: string | null;
    lastEventAt: string | null;
    lastTriggerAt: string | null;
    dormantAt: string | null;
    dormantReason: string | null;
  }[];
}

export interface NewAttribute {
  name: string;
  kind: AttributeKind;
  required: boolean;
  unique: boolean;
  description?: string;
  options?: string[];
  multiple?: boolean;
  regex?: string | null;
  min?: number | null;
  max?: number | null;
  targetType?: number;
  referenceType?: string;
}

/** `AqlValidationBody`: the query so far, checked, with suggestions at the cursor. */
export interface AqlCheck {
  valid: boolean;
  error: { message: string; line: number; column: number; offset: number; excerpt: string } | null;
  completions: {
    replaceStart: number;
    replaceEnd: number;
    items: { label: string; insert: string; kind: string }[];
  };
}

/** `ReferencesBody`: what an asset points at, and the first page of what points at it. */
export interface References {
  outbound: {
    attribute: string;
    referenceType: string;
    key: string;
    label: string | null;
    archived: boolean | null;
  }[];
  inbound: {
    attribute: string;
    referenceType: string;
    key: string;
    label: string;
    archived: boolean;
  }[];
  nextInboundCursor: number | null;
}

export interface QueryOptions {
  schema?: string;
  limit?: number;
  cursor?: string;
}

export interface QueryPage {
  schema: string;
  items: AssetSummary[];
  nextCursor: string | null;
  total: number | null;
  totalExact: boolean | null;
}

/** The Assets field's scope, as a Jira admin set it on the field's context. */
export interface FieldScope {
  schema: string;
  aql?: string;
}

/** An asset as the Assets field shows it (`FieldAssetBody`). */
export interface FieldAsset {
  key: string;
  label: string;
  status: { name: string | null; category: StatusCategory | null };
}

/** `FieldAssetsBody`: the field's scope here, and its assets asked for. */
export interface FieldAssets {
  scope: FieldScope;
  items: FieldAsset[];
}

/** One bar or slice of a dashboard chart, with the AQL that lists its assets. */
export interface Slice {
  id: number;
  name: string;
  count: number;
  aql: string;
}

export interface CountsReport {
  total: number;
  byType: Slice[];
  byStatus: (Slice & { category: StatusCategory })[];
  byLocation: {
    attributeId: number;
    attribute: string;
    top: Slice[];
    other: number;
    none: number;
    noneAql: string;
  } | null;
}

export interface TrendReport {
  months: {
    month: string;
    created: number;
    retired: number;
    createdAql: string;
    retiredAql: string;
  }[];
}

export interface DueReport {
  dates: {
    attributeId: number;
    attribute: string;
    windows: { days: number; count: number; aql: string }[];
  }[];
}

export interface QualityReport {
  missingRequired: {
    attributeId: number;
    attribute: string;
    typeName: string;
    missing: number;
    aql: string;
  }[];
  outOfBounds: {
    attributeId: number;
    attribute: string;
    typeName: string;
    rule: "min" | "max";
    bound: string;
    count: number;
    aql: string;
  }[];
  /** Select values that are no longer options (as the search index keeps them). */
  unlistedOptions: {
    attributeId: number;
    attribute: string;
    typeName: string;
    values: string[];
    count: number;
    aql: string;
  }[];
  /** Text values that break their attribute's pattern, tightened after they were written. */
  brokenPatterns: {
    attributeId: number;
    attribute: string;
    typeName: string;
    pattern: string;
    count: number;
    aql: string;
  }[];
}

export interface ReportSettings {
  locationAttribute: number | null;
  lifecycleDates: number[];
}

export interface ViewSort {
  key: string;
  dir: "ASC" | "DESC";
}

/** A saved view of the list: a person's own, or shared with the site. */
export interface SavedView {
  id: number;
  name: string;
  aql: string;
  columns: string[];
  sort: ViewSort | null;
  shared: boolean;
  owner: string;
  /** Whether this person may change or delete it. */
  editable: boolean;
  updated: string;
}

export interface SavedViewDraft {
  name: string;
  aql: string;
  columns: string[];
  sort: ViewSort | null;
  shared: boolean;
}

const path = encodeURIComponent;

/** A booking window as query parameters, leaving out what is not set. */
function windowQuery(window: BookingWindow): URLSearchParams {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(window)) {
    if (value !== undefined && value !== "") {
      query.set(name, String(value));
    }
  }
  return query;
}

/** Typed calls to our REST API, through whichever host the page runs in. */
export class Api {
  constructor(private readonly host: Host) {}

  private async call<T>(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    url: string,
    body?: unknown,
  ): Promise<T> {
    const response = await this.host.request(
      body === undefined ? { method, path: url } : { method, path: url, body },
    );
    if (response.status < 200 || response.status >= 300) {
      throw new ApiError(response.status, response.body);
    }
    return response.body as T;
  }

  async issueAssets(issueId: string): Promise<LinkedAsset[]> {
    const body = await this.call<{ items: LinkedAsset[] }>(
      "GET",
      `/api/v1/issues/${path(issueId)}/assets`,
    );
    return body.items;
  }

  async link(assetKey: string, issueKey: string): Promise<void> {
    await this.call("POST", `/api/v1/assets/${path(assetKey)}/issues`, { issue: issueKey });
  }

  /** Unlinking what is already gone is done, not an error. */
  async unlink(assetKey: string, issueId: string): Promise<void> {
    try {
      await this.call("DELETE", `/api/v1/assets/${path(assetKey)}/issues/${path(issueId)}`);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) {
        throw error;
      }
    }
  }

  query(aql: string, options: QueryOptions | number = {}): Promise<QueryPage> {
    const { schema, limit, cursor } = typeof options === "number" ? { limit: options } : options;
    return this.call("POST", "/api/v1/assets/query", { aql, schema, limit, cursor });
  }

  /** The assets the Assets field `field` may hold on `issue` that match what was typed. */
  fieldCandidates(field: string, issue: string | null, typed: string): Promise<FieldAssets> {
    const query = new URLSearchParams({ field, q: typed, limit: "20" });
    if (issue) {
      query.set("issue", issue);
    }
    return this.call("GET", `/api/v1/asset-field/candidates?${query}`);
  }

  /** Those of `keys` (the field's value) within the field's scope on `issue`, named. */
  fieldAssets(field: string, issue: string | null, keys: string[]): Promise<FieldAssets> {
    const query = new URLSearchParams({ field, keys: keys.join(",") });
    if (issue) {
      query.set("issue", issue);
    }
    return this.call("GET", `/api/v1/asset-field/assets?${query}`);
  }

  /** Checks the query as typed; `position` is the caret's UTF-8 byte offset. */
  validateAql(schema: string, aql: string, position: number): Promise<AqlCheck> {
    const query = new URLSearchParams({ schema, aql, position: String(position) });
    return this.call("GET", `/api/v1/aql/validate?${query}`);
  }

  references(key: string): Promise<References> {
    return this.call("GET", `/api/v1/assets/${path(key)}/references`);
  }

  async views(schema: string): Promise<SavedView[]> {
    return (await this.call<{ views: SavedView[] }>("GET", `/api/v1/schemas/${path(schema)}/views`))
      .views;
  }

  saveView(schema: string, draft: SavedViewDraft): Promise<SavedView> {
    return this.call("POST", `/api/v1/schemas/${path(schema)}/views`, draft);
  }

  updateView(schema: string, id: number, draft: SavedViewDraft): Promise<SavedView> {
    return this.call("PUT", `/api/v1/schemas/${path(schema)}/views/${id}`, draft);
  }

  async deleteView(schema: string, id: number): Promise<void> {
    await this.call("DELETE", `/api/v1/schemas/${path(schema)}/views/${id}`);
  }

  counts(schema: string): Promise<CountsReport> {
    return this.call("GET", `/api/v1/reports/${path(schema)}/counts`);
  }

  trend(schema: string, months = 12): Promise<TrendReport> {
    return this.call("GET", `/api/v1/reports/${path(schema)}/trend?months=${months}`);
  }

  due(schema: string): Promise<DueReport> {
    return this.call("GET", `/api/v1/reports/${path(schema)}/due`);
  }

  quality(schema: string): Promise<QualityReport> {
    return this.call("GET", `/api/v1/reports/${path(schema)}/quality`);
  }

  reportSettings(schema: string): Promise<ReportSettings> {
    return this.call("GET", `/api/v1/reports/${path(schema)}/settings`);
  }

  saveReportSettings(schema: string, settings: ReportSettings): Promise<ReportSettings> {
    return this.call("PUT", `/api/v1/reports/${path(schema)}/settings`, settings);
  }

  async schemas(): Promise<Schema[]> {
    return (await this.call<{ schemas: Schema[] }>("GET", "/api/v1/schemas")).schemas;
  }

  asset(key: string): Promise<Asset> {
    return this.call("GET", `/api/v1/assets/${path(key)}`);
  }

  async assetIssues(key: string): Promise<IssueLink[]> {
    return (await this.call<{ items: IssueLink[] }>("GET", `/api/v1/assets/${path(key)}/issues`))
      .items;
  }

  connection(): Promise<ConnectionHealth> {
    return this.call("GET", "/api/v1/admin/connection");
  }

  createSchema(key: string, name: string): Promise<Schema> {
    return this.call("POST", "/api/v1/schemas", { key, name });
  }

  async types(schema: string): Promise<AssetType[]> {
    return (await this.call<{ types: AssetType[] }>("GET", `/api/v1/schemas/${path(schema)}/types`))
      .types;
  }

  createType(
    schema: string,
    draft: { name: string; parentId: number | null; isAbstract: boolean },
  ): Promise<AssetType> {
    return this.call("POST", `/api/v1/schemas/${path(schema)}/types`, draft);
  }

  createAttribute(schema: string, typeId: number, draft: NewAttribute): Promise<AttributeDef> {
    return this.call("POST", `/api/v1/schemas/${path(schema)}/types/${typeId}/attributes`, draft);
  }

  /** A type's new name; everything else about it is sent back as it was read. */
  async renameType(schema: string, type: AssetType, name: string): Promise<void> {
    await this.call("PUT", `/api/v1/schemas/${path(schema)}/types/${type.id}`, {
      name,
      parentId: type.parentId,
      icon: type.icon ?? "",
      description: type.description ?? "",
      isAbstract: type.isAbstract,
      labelAttributeId: type.labelAttributeId ?? null,
    });
  }

  /** Moves a type under another parent (`null`: top level); the rest is sent back as read. */
  async moveType(schema: string, type: AssetType, parentId: number | null): Promise<void> {
    await this.call("PUT", `/api/v1/schemas/${path(schema)}/types/${type.id}`, {
      name: type.name,
      parentId,
      icon: type.icon ?? "",
      description: type.description ?? "",
      isAbstract: type.isAbstract,
      labelAttributeId: type.labelAttributeId ?? null,
    });
  }

  /** A type's icon (one of the server's names); the rest is sent back as read. */
  async setTypeIcon(schema: string, type: AssetType, icon: string): Promise<void> {
    await this.call("PUT", `/api/v1/schemas/${path(schema)}/types/${type.id}`, {
      name: type.name,
      parentId: type.parentId,
      icon,
      description: type.description ?? "",
      isAbstract: type.isAbstract,
      labelAttributeId: type.labelAttributeId ?? null,
    });
  }

  /** A type's own attributes in a new order: each of them, once. */
  async reorderAttributes(schema: string, typeId: number, ids: number[]): Promise<void> {
    await this.call("PUT", `/api/v1/schemas/${path(schema)}/types/${typeId}/attribute-order`, {
      attributes: ids,
    });
  }

  async deleteType(schema: string, id: number): Promise<void> {
    await this.call("DELETE", `/api/v1/schemas/${path(schema)}/types/${id}`);
  }

  /** An attribute's whole new definition (`PUT` replaces it). */
  async updateAttribute(schema: string, id: number, draft: NewAttribute): Promise<AttributeDef> {
    return this.call("PUT", `/api/v1/schemas/${path(schema)}/attributes/${id}`, draft);
  }

  /** An attribute's new name, with its kind and rules as they were read. */
  async renameAttribute(schema: string, attribute: AttributeDef, name: string): Promise<void> {
    const { id, typeId, position, inherited, targetTypeName, ...draft } =
      attribute as AttributeDef & Record<string, unknown>;
    await this.call("PUT", `/api/v1/schemas/${path(schema)}/attributes/${id}`, { ...draft, name });
  }

  async deleteAttribute(schema: string, id: number): Promise<void> {
    await this.call("DELETE", `/api/v1/schemas/${path(schema)}/attributes/${id}`);
  }

  async renameStatus(schema: string, status: Status, name: string): Promise<void> {
    await this.call("PUT", `/api/v1/schemas/${path(schema)}/statuses/${status.id}`, {
      name,
      category: status.category,
    });
  }

  async deleteStatus(schema: string, id: number): Promise<void> {
    await this.call("DELETE", `/api/v1/schemas/${path(schema)}/statuses/${id}`);
  }

  async statuses(schema: string): Promise<Status[]> {
    return (
      await this.call<{ statuses: Status[] }>("GET", `/api/v1/schemas/${path(schema)}/statuses`)
    ).statuses;
  }

  createStatus(schema: string, name: string, category: StatusCategory): Promise<Status> {
    return this.call("POST", `/api/v1/schemas/${path(schema)}/statuses`, { name, category });
  }

  async tokens(): Promise<ApiToken[]> {
    return (await this.call<{ items: ApiToken[] }>("GET", "/api/v1/tokens")).items;
  }

  /** The secret is in the answer once, and never again. */
  createToken(name: string, readOnly: boolean): Promise<ApiToken & { token: string }> {
    return this.call("POST", "/api/v1/tokens", { name, readOnly });
  }

  async revokeToken(id: number): Promise<void> {
    await this.call("DELETE", `/api/v1/tokens/${id}`);
  }

  createAsset(
    schema: string,
    body: { type: number; status?: number; attributes: Record<string, unknown> },
  ): Promise<Asset> {
    return this.call("POST", `/api/v1/schemas/${path(schema)}/assets`, body);
  }

  /** Replaces every value (omitted ones are cleared); a newer version on the server is 409. */
  updateAsset(
    key: string,
    body: { version: number; status?: number; attributes: Record<string, unknown> },
  ): Promise<Asset> {
    return this.call("PUT", `/api/v1/assets/${path(key)}`, body);
  }

  /** Changes only the attributes named (`null` clears one); a newer version is 409. */
  patchAsset(
    key: string,
    body: { version: number; attributes: Record<string, unknown> },
  ): Promise<Asset> {
    return this.call("PATCH", `/api/v1/assets/${path(key)}`, body);
  }

  /** Archived assets leave searches but keep their history and links; restoring brings
   *  them back. Both send the version read, like an edit. */
  archive(key: string, version: number): Promise<Asset> {
    return this.call("POST", `/api/v1/assets/${path(key)}/archive`, { version });
  }

  restore(key: string, version: number): Promise<Asset> {
    return this.call("POST", `/api/v1/assets/${path(key)}/restore`, { version });
  }

  /** One status for many assets, all or nothing: any asset changed since it was read (its
   *  version) makes the whole change 409. */
  async bulkStatus(
    schema: string,
    items: { key: string; version: number }[],
    status: number,
  ): Promise<void> {
    await this.call("PATCH", `/api/v1/schemas/${path(schema)}/assets/bulk`, {
      items: items.map((item) => ({ ...item, status })),
    });
  }

  /** Sets attribute values on the chosen assets, all or none. */
  async bulkAttributes(
    schema: string,
    items: { key: string; version: number }[],
    attributes: Record<string, unknown>,
  ): Promise<void> {
    await this.call("PATCH", `/api/v1/schemas/${path(schema)}/assets/bulk`, {
      items: items.map((item) => ({ ...item, attributes })),
    });
  }

  /** Changes every match of a query (at most 1,000), all or none, if it still matches
   *  `expected` assets. */
  async bulkEdit(
    schema: string,
    change: {
      aql: string;
      expected: number;
      status?: number;
      attributes?: Record<string, unknown>;
    },
  ): Promise<number> {
    const done = await this.call<{ items: unknown[] }>(
      "POST",
      `/api/v1/schemas/${path(schema)}/assets/bulk-edit`,
      change,
    );
    return done.items.length;
  }

  /** Display names by accountId, from Jira; unknown accounts are left out. */
  async people(accountIds: string[]): Promise<Map<string, Person>> {
    const people = new Map<string, Person>();
    for (let at = 0; at < accountIds.length; at += 50) {
      const ids = accountIds.slice(at, at + 50).join(",");
      const found = await this.call<{
        items: { accountId: string; displayName: string; avatarUrl?: string }[];
      }>("GET", `/api/v1/jira/users/bulk?accountIds=${encodeURIComponent(ids)}`);
      for (const user of found.items) {
        people.set(user.accountId, { name: user.displayName, avatar: user.avatarUrl ?? null });
      }
    }
    return people;
  }

  /** Jira's people matching `query` (a name or e-mail), for the user picker. */
  async searchUsers(query: string): Promise<{ accountId: string; displayName: string }[]> {
    const found = await this.call<{ items: { accountId: string; displayName: string }[] }>(
      "GET",
      `/api/v1/jira/users?query=${encodeURIComponent(query)}`,
    );
    return found.items;
  }

  custody(key: string): Promise<AssetCustody> {
    return this.call("GET", `/api/v1/assets/${path(key)}/custody`);
  }

  checkOut(key: string, draft: CheckoutDraft): Promise<HeldAsset> {
    return this.call("POST", `/api/v1/assets/${path(key)}/checkout`, draft);
  }

  checkIn(key: string, condition: Condition, note: string): Promise<{ asset: string; loan: Loan }> {
    return this.call("POST", `/api/v1/assets/${path(key)}/checkin`, { condition, note });
  }

  /** What the signed-in person holds, in every schema (with what rides on it). */
  /** What the signed-in person has: check-outs, licence seats and lent stock. */
  async myAssets(): Promise<MyAssets> {
    const found = await this.call<Partial<MyAssets> & { items: HeldAsset[] }>(
      "GET",
      "/api/v1/custody/mine",
    );
    return { items: found.items, seats: found.seats ?? [], stock: found.stock ?? [] };
  }

  /** Check-outs past their due day, most overdue first. */
  overdue(
    cursor: string | null = null,
  ): Promise<{ items: HeldAsset[]; nextCursor: string | null }> {
    const query = cursor === null ? "" : `?cursor=${encodeURIComponent(cursor)}`;
    return this.call("GET", `/api/v1/custody/overdue${query}`);
  }

  /** What was handed out for an issue (by its key): assets out now, then what came back, and
   *  the licence seats given for it. */
  async handedOut(
    issueKey: string,
  ): Promise<{ items: HandedOut[]; seats: IssueSeat[]; stock: IssueStock[] }> {
    const found = await this.call<{
      items: HandedOut[];
      seats?: IssueSeat[];
      stock?: IssueStock[];
    }>("GET", `/api/v1/custody/issues/${path(issueKey)}`);
    return { items: found.items, seats: found.seats ?? [], stock: found.stock ?? [] };
  }

  custodyPolicy(schema: string): Promise<CustodyPolicy> {
    return this.call("GET", `/api/v1/schemas/${path(schema)}/custody-policy`);
  }

  setCustodyPolicy(schema: string, policy: CustodyPolicy): Promise<CustodyPolicy> {
    return this.call("PUT", `/api/v1/schemas/${path(schema)}/custody-policy`, policy);
  }

  licencePolicy(schema: string): Promise<LicencePolicy> {
    return this.call("GET", `/api/v1/schemas/${path(schema)}/licence-policy`);
  }

  setLicencePolicy(schema: string, policy: LicencePolicy): Promise<LicencePolicy> {
    return this.call("PUT", `/api/v1/schemas/${path(schema)}/licence-policy`, policy);
  }

  /** A licence's terms and compliance; `null` when no terms were set yet. */
  async licence(key: string): Promise<Licence | null> {
    try {
      return await this.call<Licence>("GET", `/api/v1/assets/${path(key)}/licence`);
    } catch (error) {
      if (error instanceof ApiError && error.code === "licence_not_found") {
        return null;
      }
      throw error;
    }
  }

  setLicence(key: string, terms: LicenceTerms): Promise<Licence> {
    return this.call("PUT", `/api/v1/assets/${path(key)}/licence`, terms);
  }

  seats(
    key: string,
    cursor: string | null = null,
  ): Promise<{ items: Seat[]; nextCursor: string | null }> {
    const query = cursor === null ? "" : `?cursor=${encodeURIComponent(cursor)}`;
    return this.call("GET", `/api/v1/assets/${path(key)}/seats${query}`);
  }

  assignSeats(
    key: string,
    assignees: Assignee[],
    issue: string | null,
    note: string,
  ): Promise<{ items: Seat[]; licence: Licence }> {
    return this.call("POST", `/api/v1/assets/${path(key)}/seats`, {
      assignees,
      ...(issue ? { issue } : {}),
      note,
    });
  }

  releaseSeats(key: string, assignees: Assignee[]): Promise<Licence> {
    return this.call("POST", `/api/v1/assets/${path(key)}/seats/release`, { assignees });
  }

  async licenceProducts(schema: string): Promise<ProductCompliance[]> {
    return (
      await this.call<{ items: ProductCompliance[] }>(
        "GET",
        `/api/v1/schemas/${path(schema)}/licences/compliance`,
      )
    ).items;
  }

  licences(
    schema: string,
    product: string,
    cursor: string | null = null,
  ): Promise<{ items: Licence[]; nextCursor: string | null }> {
    const query = `?product=${encodeURIComponent(product)}${
      cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`
    }`;
    return this.call("GET", `/api/v1/schemas/${path(schema)}/licences${query}`);
  }

  async reclaimable(schema: string): Promise<ReclaimableSeat[]> {
    return (
      await this.call<{ items: ReclaimableSeat[] }>(
        "GET",
        `/api/v1/schemas/${path(schema)}/licences/reclaimable`,
      )
    ).items;
  }

  async reclaim(schema: string, accountIds: string[]): Promise<number> {
    return (
      await this.call<{ freed: number }>(
        "POST",
        `/api/v1/schemas/${path(schema)}/licences/reclaim`,
        { accountIds },
      )
    ).freed;
  }

  stockPolicy(schema: string): Promise<StockPolicy> {
    return this.call("GET", `/api/v1/schemas/${path(schema)}/stock-policy`);
  }

  setStockPolicy(schema: string, policy: StockPolicy): Promise<StockPolicy> {
    return this.call("PUT", `/api/v1/schemas/${path(schema)}/stock-policy`, policy);
  }

  stock(key: string): Promise<ItemStock> {
    return this.call("GET", `/api/v1/assets/${path(key)}/stock`);
  }

  moveStock(key: string, movement: Movement): Promise<ItemStock> {
    return this.call("POST", `/api/v1/assets/${path(key)}/stock/movements`, movement);
  }

  setStockMinimum(key: string, location: string, minimum: number): Promise<ItemStock> {
    return this.call("PUT", `/api/v1/assets/${path(key)}/stock/minimum`, { location, minimum });
  }

  belowMinimum(
    schema: string,
    cursor: string | null = null,
  ): Promise<{ items: BelowMinimum[]; nextCursor: string | null }> {
    const query = cursor === null ? "" : `?cursor=${encodeURIComponent(cursor)}`;
    return this.call("GET", `/api/v1/schemas/${path(schema)}/stock/below-minimum${query}`);
  }

  async requestPolicy(schema: string): Promise<ApprovalPolicy | null> {
    return (
      await this.call<{ policy: ApprovalPolicy | null }>(
        "GET",
        `/api/v1/schemas/${path(schema)}/request-policy`,
      )
    ).policy;
  }

  async setRequestPolicy(schema: string, policy: ApprovalPolicy | null): Promise<void> {
    if (policy === null) {
      await this.call("DELETE", `/api/v1/schemas/${path(schema)}/request-policy`);
    } else {
      await this.call("PUT", `/api/v1/schemas/${path(schema)}/request-policy`, policy);
    }
  }

  async kits(schema: string): Promise<Kit[]> {
    return (await this.call<{ items: Kit[] }>("GET", `/api/v1/schemas/${path(schema)}/kits`)).items;
  }

  createKit(schema: string, draft: KitDraft): Promise<Kit> {
    return this.call("POST", `/api/v1/schemas/${path(schema)}/kits`, draft);
  }

  updateKit(schema: string, id: number, draft: KitDraft): Promise<Kit> {
    return this.call("PUT", `/api/v1/schemas/${path(schema)}/kits/${id}`, draft);
  }

  async deleteKit(schema: string, id: number): Promise<void> {
    await this.call("DELETE", `/api/v1/schemas/${path(schema)}/kits/${id}`);
  }

  checkOutKit(schema: string, id: number, checkout: KitCheckout): Promise<KitHandout> {
    return this.call("POST", `/api/v1/schemas/${path(schema)}/kits/${id}/checkout`, checkout);
  }

  /** The bookings that overlap a window, by start (at most `limit`; `truncated` says so). */
  bookings(
    schema: string,
    window: BookingWindow,
  ): Promise<{ items: Booking[]; from: string; to: string; truncated: boolean }> {
    return this.call("GET", `/api/v1/schemas/${path(schema)}/bookings?${windowQuery(window)}`);
  }

  /** Assets free over a window: booked by nobody, not reserved, not out past its start. */
  async availability(schema: string, window: BookingWindow): Promise<FreeAsset[]> {
    const body = await this.call<{ items: FreeAsset[] }>(
      "GET",
      `/api/v1/schemas/${path(schema)}/availability?${windowQuery(window)}`,
    );
    return body.items;
  }

  book(schema: string, draft: BookingDraft): Promise<Booking> {
    return this.call("POST", `/api/v1/schemas/${path(schema)}/bookings`, draft);
  }

  pickUpBooking(schema: string, id: number): Promise<Booking> {
    return this.call("POST", `/api/v1/schemas/${path(schema)}/bookings/${id}/pickup`);
  }

  /** Takes back `assets` (all still out when empty) in `condition`. */
  returnBooking(
    schema: string,
    id: number,
    back: { assets?: string[]; condition: Condition; note?: string },
  ): Promise<Booking> {
    return this.call("POST", `/api/v1/schemas/${path(schema)}/bookings/${id}/return`, back);
  }

  cancelBooking(schema: string, id: number): Promise<Booking> {
    return this.call("POST", `/api/v1/schemas/${path(schema)}/bookings/${id}/cancel`);
  }

  /** Asks, on an issue, for an asset of a type or a kit, for a person. */
  createRequest(
    schema: string,
    draft: { issue: string; wanted: Wanted; accountId: string; note: string },
  ): Promise<AssetRequest> {
    return this.call("POST", `/api/v1/schemas/${path(schema)}/requests`, draft);
  }

  /** A schema's requests in `states`, oldest first: the fulfilment queue. */
  requests(
    schema: string,
    states: RequestState[],
    cursor: string | null = null,
  ): Promise<{ items: AssetRequest[]; nextCursor?: string }> {
    const query = new URLSearchParams();
    if (states.length > 0) {
      query.set("state", states.join(","));
    }
    if (cursor !== null) {
      query.set("cursor", cursor);
    }
    const text = query.toString();
    return this.call("GET", `/api/v1/schemas/${path(schema)}/requests${text ? `?${text}` : ""}`);
  }

  /** The requests made on an issue, newest first, each with its path. */
  async issueRequests(issueKey: string): Promise<AssetRequest[]> {
    return (
      await this.call<{ items: AssetRequest[] }>("GET", `/api/v1/issues/${path(issueKey)}/requests`)
    ).items;
  }

  fulfilRequest(
    schema: string,
    id: number,
    fulfilment: { due?: string | null; note?: string; picks?: { part: number; asset: string }[] },
  ): Promise<AssetRequest> {
    return this.call("POST", `/api/v1/schemas/${path(schema)}/requests/${id}/fulfil`, fulfilment);
  }

  cancelRequest(schema: string, id: number, note: string): Promise<AssetRequest> {
    return this.call("POST", `/api/v1/schemas/${path(schema)}/requests/${id}/cancel`, { note });
  }

  recheckRequest(schema: string, id: number): Promise<AssetRequest> {
    return this.call("POST", `/api/v1/schemas/${path(schema)}/requests/${id}/recheck`);
  }

  async history(key: string): Promise<HistoryEntry[]> {
    return (
      await this.call<{ items: HistoryEntry[] }>("GET", `/api/v1/assets/${path(key)}/history`)
    ).items;
  }
}

/** Words search the full text; anything with an operator is taken as AQL. */
export function asAql(text: string): string {
  const trimmed = text.trim();
  if (/[=~<>]|\b(having|like|in|is)\b/i.test(trimmed)) {
    return trimmed;
  }
  return `text ~ ${JSON.stringify(trimmed)}`;
}
