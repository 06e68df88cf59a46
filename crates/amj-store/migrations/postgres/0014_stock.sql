-- Stock (issue 14): quantity-tracked items, kept per location.

-- The schema's stock policy: which types are counted, and what kind of stock each is
-- (consumable, accessory, component).
CREATE TABLE stock_type (
    tenant_id BIGINT NOT NULL,
    schema_id BIGINT NOT NULL,
    type_id BIGINT NOT NULL REFERENCES asset_type (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    PRIMARY KEY (tenant_id, schema_id, type_id)
);

-- An item's totals, kept in the movement's transaction so that AQL's `Quantity` and
-- `Below minimum` are a join by primary key, whatever the number of locations.
CREATE TABLE stock_item (
    asset_id BIGINT PRIMARY KEY REFERENCES asset (id),
    tenant_id BIGINT NOT NULL,
    schema_id BIGINT NOT NULL,
    quantity BIGINT NOT NULL DEFAULT 0 CHECK (quantity >= 0),
    issued BIGINT NOT NULL DEFAULT 0 CHECK (issued >= 0),
    below_minimum BIGINT NOT NULL DEFAULT 0 CHECK (below_minimum >= 0)
);

-- AQL's stock conditions read a site's items from here.
CREATE INDEX stock_item_by_site ON stock_item (tenant_id, schema_id, asset_id);

-- How many of an item a location holds. The CHECK is the invariant itself: however movements
-- race, a quantity never goes negative.
CREATE TABLE stock_level (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    schema_id BIGINT NOT NULL,
    item_id BIGINT NOT NULL REFERENCES stock_item (asset_id),
    location_id BIGINT NOT NULL REFERENCES asset (id),
    quantity BIGINT NOT NULL CHECK (quantity >= 0),
    minimum BIGINT NOT NULL DEFAULT 0 CHECK (minimum >= 0),
    updated_at BIGINT NOT NULL
);

CREATE UNIQUE INDEX stock_level_at ON stock_level (item_id, location_id);
-- The "below minimum" list reads only the levels that are below it.
CREATE INDEX stock_level_below ON stock_level (tenant_id, schema_id, id)
    WHERE quantity < minimum;

-- Accessories and components issued and not yet returned, per recipient.
CREATE TABLE stock_out (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    item_id BIGINT NOT NULL REFERENCES stock_item (asset_id),
    assignee_kind TEXT NOT NULL,
    assignee_account TEXT,
    assignee_asset_id BIGINT REFERENCES asset (id),
    quantity BIGINT NOT NULL CHECK (quantity >= 0),
    since BIGINT NOT NULL
);

CREATE UNIQUE INDEX stock_out_of_account ON stock_out (item_id, assignee_account)
    WHERE assignee_account IS NOT NULL;
CREATE UNIQUE INDEX stock_out_of_asset ON stock_out (item_id, assignee_asset_id)
    WHERE assignee_asset_id IS NOT NULL;
CREATE INDEX stock_out_by_account ON stock_out (tenant_id, assignee_account)
    WHERE assignee_account IS NOT NULL;

-- Every movement, for the item's stock log and for "what was handed out for this issue".
CREATE TABLE stock_move (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    item_id BIGINT NOT NULL REFERENCES stock_item (asset_id),
    kind TEXT NOT NULL,
    location_id BIGINT NOT NULL REFERENCES asset (id),
    to_location_id BIGINT REFERENCES asset (id),
    assignee_kind TEXT,
    assignee_account TEXT,
    assignee_asset_id BIGINT REFERENCES asset (id),
    -- Positive: how many moved; for a count, what was found.
    quantity BIGINT NOT NULL,
    -- The location's quantity after (the source's, for a move).
    level BIGINT NOT NULL,
    at BIGINT NOT NULL,
    by_actor TEXT NOT NULL,
    issue_key TEXT,
    note TEXT NOT NULL
);

CREATE INDEX stock_move_by_item ON stock_move (item_id, id);
CREATE INDEX stock_move_by_issue ON stock_move (tenant_id, issue_key)
    WHERE issue_key IS NOT NULL;
