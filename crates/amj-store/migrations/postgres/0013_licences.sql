-- Licence seats (issue 14): licences are assets of a licensed type, with terms and seats.

-- The schema's licence policy: which types are licences, and the reference attribute whose
-- values count as installations of the licence they point at.
ALTER TABLE asset_schema ADD COLUMN installed_attribute_id BIGINT
    REFERENCES asset_attribute (id) ON DELETE SET NULL;

CREATE TABLE licence_type (
    tenant_id BIGINT NOT NULL,
    schema_id BIGINT NOT NULL,
    type_id BIGINT NOT NULL REFERENCES asset_type (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, schema_id, type_id)
);

-- A licence's terms and its count of assigned seats. The count is kept beside the entitlement so
-- that an assignment is one conditional UPDATE, and the CHECK is the invariant itself: however
-- assignments race, seats never exceed the entitlement unless overuse is allowed.
CREATE TABLE licence (
    asset_id BIGINT PRIMARY KEY REFERENCES asset (id),
    tenant_id BIGINT NOT NULL,
    schema_id BIGINT NOT NULL,
    product TEXT NOT NULL,
    entitled BIGINT NOT NULL CHECK (entitled >= 0),
    allow_overuse BOOLEAN NOT NULL,
    assigned BIGINT NOT NULL DEFAULT 0 CHECK (assigned >= 0),
    -- Days since 1970-01-01 (UTC).
    expires_day BIGINT,
    renews_day BIGINT,
    -- Hundredths of `currency`: money is never summed in floating point.
    cost_per_seat_minor BIGINT,
    currency TEXT,
    CHECK (allow_overuse OR assigned <= entitled)
);

CREATE INDEX licence_by_product ON licence (tenant_id, schema_id, product, asset_id);

-- One row per seat in use. A person or an asset holds at most one seat of a licence.
CREATE TABLE licence_seat (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    licence_id BIGINT NOT NULL REFERENCES licence (asset_id),
    assignee_kind TEXT NOT NULL,
    assignee_account TEXT,
    assignee_asset_id BIGINT REFERENCES asset (id),
    assigned_at BIGINT NOT NULL,
    by_actor TEXT NOT NULL,
    issue_key TEXT,
    note TEXT NOT NULL
);

CREATE UNIQUE INDEX licence_seat_of_account ON licence_seat (licence_id, assignee_account)
    WHERE assignee_account IS NOT NULL;
CREATE UNIQUE INDEX licence_seat_of_asset ON licence_seat (licence_id, assignee_asset_id)
    WHERE assignee_asset_id IS NOT NULL;
-- Reclaiming: the people holding seats on a site, and their seats.
CREATE INDEX licence_seat_by_account ON licence_seat (tenant_id, assignee_account)
    WHERE assignee_account IS NOT NULL;
CREATE INDEX licence_seat_by_issue ON licence_seat (tenant_id, issue_key)
    WHERE issue_key IS NOT NULL;
-- Seats of a licence, in assignment order (the seat list pages by id).
CREATE INDEX licence_seat_by_licence ON licence_seat (licence_id, id);
