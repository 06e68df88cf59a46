-- The asset model. Every table carries tenant_id and every query filters on it first, so one
-- site's rows can never answer another site's request. See docs/ARCHITECTURE.md, "Asset storage".

CREATE TABLE asset_schema (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenant (id),
    schema_key TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    users_can_edit BOOLEAN NOT NULL,
    -- The next asset number. Bumped in the transaction that creates assets, so a rolled-back
    -- create gives its numbers back and keys stay gapless.
    next_number BIGINT NOT NULL,
    -- Bumped by every change to statuses, types or attributes, so each instance's cached copy of
    -- the catalog knows when it is stale.
    catalog_version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, schema_key)
);

CREATE TABLE asset_status (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenant (id),
    schema_id BIGINT NOT NULL REFERENCES asset_schema (id),
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    category TEXT NOT NULL,
    position BIGINT NOT NULL,
    UNIQUE (tenant_id, schema_id, name_lower)
);

CREATE TABLE asset_type (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenant (id),
    schema_id BIGINT NOT NULL REFERENCES asset_schema (id),
    parent_id BIGINT REFERENCES asset_type (id),
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    icon TEXT NOT NULL,
    description TEXT NOT NULL,
    is_abstract BOOLEAN NOT NULL,
    label_attribute_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, schema_id, name_lower)
);

CREATE TABLE asset_attribute (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenant (id),
    type_id BIGINT NOT NULL REFERENCES asset_type (id),
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    -- The attribute kind and its options (regex, min/max, select options, reference target) as
    -- the domain's JSON, so a new kind needs no migration.
    definition TEXT NOT NULL,
    required BOOLEAN NOT NULL,
    unique_values BOOLEAN NOT NULL,
    description TEXT NOT NULL,
    position BIGINT NOT NULL,
    UNIQUE (tenant_id, type_id, name_lower)
);

CREATE TABLE asset (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenant (id),
    schema_id BIGINT NOT NULL REFERENCES asset_schema (id),
    type_id BIGINT NOT NULL REFERENCES asset_type (id),
    number BIGINT NOT NULL,
    label TEXT NOT NULL,
    -- "C" collation: bytewise, like SQLite, so both backends sort and prefix-match alike.
    label_sort TEXT COLLATE "C" NOT NULL,
    status_id BIGINT NOT NULL REFERENCES asset_status (id),
    -- The attribute values as one JSON document keyed by attribute id: one read serves a page.
    -- asset_value below indexes the same values for sorting and filtering.
    attrs TEXT NOT NULL,
    version BIGINT NOT NULL,
    archived BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (tenant_id, schema_id, number)
);

CREATE INDEX asset_by_type ON asset (tenant_id, type_id, id);
CREATE INDEX asset_by_status ON asset (tenant_id, status_id, id);
CREATE INDEX asset_by_label ON asset (tenant_id, label_sort, id);
CREATE INDEX asset_by_updated ON asset (tenant_id, updated_at, id);

-- Typed value index: one row per value (multi-valued attributes have several, ord 0..n). Exactly
-- one of v_text / v_int / v_num / v_ref is set, so each row lands in one partial index only.
CREATE TABLE asset_value (
    tenant_id BIGINT NOT NULL,
    asset_id BIGINT NOT NULL REFERENCES asset (id) ON DELETE CASCADE,
    attribute_id BIGINT NOT NULL,
    ord BIGINT NOT NULL,
    v_text TEXT COLLATE "C",
    v_int BIGINT,
    v_num DOUBLE PRECISION,
    v_ref BIGINT,
    -- Set only for attributes marked unique: the database, not a racy read, enforces uniqueness.
    v_unique TEXT,
    PRIMARY KEY (asset_id, attribute_id, ord)
);

CREATE INDEX asset_value_text ON asset_value (tenant_id, attribute_id, v_text, asset_id) WHERE v_text IS NOT NULL;
CREATE INDEX asset_value_int ON asset_value (tenant_id, attribute_id, v_int, asset_id) WHERE v_int IS NOT NULL;
CREATE INDEX asset_value_num ON asset_value (tenant_id, attribute_id, v_num, asset_id) WHERE v_num IS NOT NULL;
CREATE INDEX asset_value_ref ON asset_value (tenant_id, v_ref, attribute_id) WHERE v_ref IS NOT NULL;
CREATE UNIQUE INDEX asset_value_unique ON asset_value (tenant_id, attribute_id, v_unique) WHERE v_unique IS NOT NULL;

-- History is append-only and kept forever.
CREATE TABLE asset_event (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    asset_id BIGINT NOT NULL REFERENCES asset (id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    event TEXT NOT NULL
);

CREATE INDEX asset_event_by_asset ON asset_event (tenant_id, asset_id, id);

CREATE TABLE asset_issue_link (
    tenant_id BIGINT NOT NULL,
    asset_id BIGINT NOT NULL REFERENCES asset (id),
    issue_id BIGINT NOT NULL,
    issue_key TEXT NOT NULL,
    issue_summary TEXT NOT NULL,
    linked_at BIGINT NOT NULL,
    linked_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, asset_id, issue_id)
);

CREATE INDEX asset_issue_link_by_issue ON asset_issue_link (tenant_id, issue_id);

-- Webhook deliveries already applied, so a retried delivery is acknowledged and ignored.
CREATE TABLE webhook_delivery (
    tenant_id BIGINT NOT NULL,
    delivery_id TEXT NOT NULL,
    event TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, delivery_id)
);

-- API tokens for scripts outside Jira. Only a SHA-256 of the token is stored; the token itself is
-- shown once, at creation.
CREATE TABLE api_token (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenant (id),
    name TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    token_prefix TEXT NOT NULL,
    read_only BOOLEAN NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);

CREATE INDEX api_token_by_tenant ON api_token (tenant_id, id);
